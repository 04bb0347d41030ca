// Ranked ballots: make the "one select per rank" form reorderable.
// Without this file the selects work on their own; with it, each rank gets
// "Move up" / "Move down" buttons, and choosing an option already placed
// elsewhere swaps the two places instead of ranking it twice.
(function () {
  "use strict";

  function label(select) {
    var text = document.querySelector('label[for="' + select.id + '"]');
    return text ? text.textContent.trim() : select.name;
  }

  function announce(fieldset, message) {
    var live = fieldset.querySelector("[data-ranking-status]");
    if (live) { live.textContent = message; }
  }

  function enhance(fieldset) {
    if (fieldset.dataset.enhanced) { return; }
    fieldset.dataset.enhanced = "1";
    var selects = Array.prototype.slice.call(fieldset.querySelectorAll("select"));

    function swap(i, j) {
      var a = selects[i], b = selects[j];
      var value = a.value;
      a.value = b.value;
      b.value = value;
      a.dataset.previous = a.value;
      b.dataset.previous = b.value;
      var moved = b.value ? b.value + " is now your " + label(b) : label(b) + " is now not ranked";
      announce(fieldset, moved + ".");
    }

    selects.forEach(function (select, i) {
      select.dataset.previous = select.value;
      var row = select.closest(".rank-row");
      var tools = document.createElement("span");
      tools.className = "rank-tools";
      [["up", -1, "Move up"], ["down", 1, "Move down"]].forEach(function (spec) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "button secondary small rank-move";
        button.textContent = spec[2];
        var hidden = document.createElement("span");
        hidden.className = "visually-hidden";
        hidden.textContent = ": " + label(select);
        button.appendChild(hidden);
        var j = i + spec[1];
        if (j < 0 || j >= selects.length) { button.disabled = true; }
        button.addEventListener("click", function () {
          swap(i, j);
          selects[j].focus();
        });
        tools.appendChild(button);
      });
      row.appendChild(tools);

      select.addEventListener("change", function () {
        var value = select.value;
        if (!value) { select.dataset.previous = ""; return; }
        selects.forEach(function (other) {
          if (other !== select && other.value === value) {
            other.value = select.dataset.previous || "";
            other.dataset.previous = other.value;
            announce(fieldset, value + " moved to your " + label(select) +
              (other.value ? "; " + other.value + " took its old place." : "."));
          }
        });
        select.dataset.previous = value;
      });
    });
  }

  function enhanceAll(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll("[data-ranking]"), enhance);
  }

  document.addEventListener("DOMContentLoaded", function () { enhanceAll(document); });
  // The ballot panel is swapped in by htmx after a cast: enhance the new one too.
  document.addEventListener("htmx:afterSwap", function () { enhanceAll(document); });
})();
