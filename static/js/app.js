// Waypoint works without JavaScript; this file only tells the user when an htmx
// request fails (server error, network drop), so a change is never lost silently,
// and keeps answers that explain refused input in their place.
(function () {
  "use strict";

  function showProblem(text) {
    var box = document.getElementById("problem");
    if (!box) return;
    box.textContent = text;
    box.hidden = false;
    clearTimeout(showProblem.timer);
    showProblem.timer = setTimeout(function () { box.hidden = true; }, 8000);
  }

  function resetForm(event) {
    // Put typed-in values back to what the server last confirmed.
    var form = event.detail && event.detail.elt && event.detail.elt.closest("form");
    if (form) form.reset();
  }

  document.addEventListener("htmx:responseError", function (event) {
    resetForm(event);
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (status === 403) {
      showProblem("Not saved: your session has expired. Reload the page and sign in again.");
    } else if (status === 404) {
      showProblem("Not saved: this item is no longer on your roadmap. Reload the page.");
    } else {
      showProblem("Not saved: the server had a problem. Nothing was changed; please try again.");
    }
  });

  // A 400 is a fragment that explains what was refused, swapped in place like any
  // answer. With DEBUG on (make run), django-htmx's helper would replace the whole
  // page with it; catching the event on its way down keeps it from that helper.
  window.addEventListener("htmx:beforeOnLoad", function (event) {
    var xhr = event.detail && event.detail.xhr;
    if (xhr && xhr.status === 400) event.stopPropagation();
  }, true);

  document.addEventListener("htmx:sendError", function (event) {
    resetForm(event);
    showProblem("Not saved: you seem to be offline. Nothing was changed; try again when connected.");
  });

  document.addEventListener("htmx:afterSwap", function () {
    var box = document.getElementById("problem");
    if (box) box.hidden = true;
  });
})();
