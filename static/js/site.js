// Small progressive enhancements; every page works without this file.
document.addEventListener("htmx:responseError", function (event) {
  // Show the server's refusal (JSON or HTML) in place of a silent failure.
  var target = event.detail.target;
  var xhr = event.detail.xhr;
  var message = "Something went wrong. Reload the page and try again.";
  try {
    var data = JSON.parse(xhr.responseText);
    if (data && data.error && data.error.message) { message = data.error.message; }
  } catch (e) {
    var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
    var lead = doc.querySelector(".lead, .error, .flash-error");
    if (lead) { message = lead.textContent.trim(); }
  }
  var box = document.createElement("p");
  box.className = "flash flash-error";
  box.setAttribute("role", "alert");
  box.textContent = message;
  if (target && target.parentNode) { target.parentNode.insertBefore(box, target); }
});
