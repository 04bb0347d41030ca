"""Open data (DESIGN.md §6, issue 16): every council's proposals, comments, rounds and minutes,
motions and results, anonymised ballots, petitions with their counts, forwarded proposals with
their answers and consultations with positions, as JSON and CSV files with a documented schema
under the Open Government Licence v3.0, per council and site-wide, and a site-wide bulk zip."""
