/* A code block wider (or taller) than its box scrolls; with the keyboard only once it can
   take focus (axe-core's rule "scrollable-region-focusable"). Such blocks, and only those,
   join the tab order, as the window's width decides which they are. */
(function () {
  function focusable() {
    document.querySelectorAll("pre").forEach(function (pre) {
      var scrolls =
        pre.scrollWidth > pre.clientWidth + 1 || pre.scrollHeight > pre.clientHeight + 1;
      if (scrolls) {
        pre.tabIndex = 0;
      } else if (pre.getAttribute("tabindex") === "0") {
        pre.removeAttribute("tabindex");
      }
    });
  }
  document.addEventListener("DOMContentLoaded", focusable);
  window.addEventListener("resize", focusable);
})();
