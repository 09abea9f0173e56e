// Small enhancements; every page works without JavaScript.
(function () {
  "use strict";
  // Move focus to an error summary so screen readers announce it and keyboard users start there.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector("[data-autofocus]");
    if (summary) { summary.focus(); }
  });
})();
