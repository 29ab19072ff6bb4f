// luoshi staff app: small progressive enhancements. Every page works without
// this file; CSP forbids inline scripts, so all behaviour lives here.
(function () {
  "use strict";

  document.addEventListener("click", function (ev) {
    // 督办单: the print button
    if (ev.target.closest("[data-print]")) {
      window.print();
      return;
    }
    // unit picker: choosing a suggestion fills the field it belongs to
    var pick = ev.target.closest("button.pick");
    if (pick) {
      var box = pick.closest(".picker");
      var input = box && box.querySelector("input[type=text]");
      if (input) {
        input.value = pick.getAttribute("data-pick");
        input.dispatchEvent(new Event("change", { bubbles: true }));
        input.focus();
      }
      var res = box && box.querySelector(".picker-results");
      if (res) res.innerHTML = "";
      return;
    }
    // unit tree: open and close a node (htmx loads its children the first time)
    var tog = ev.target.closest("button.tree-toggle");
    if (tog) {
      var li = tog.closest(".tree-node");
      var open = !li.classList.contains("open");
      li.classList.toggle("open", open);
      tog.setAttribute("aria-expanded", open ? "true" : "false");
    }
  });

  // Escape closes an open picker list
  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "Escape") return;
    var box = ev.target.closest && ev.target.closest(".picker");
    var res = box && box.querySelector(".picker-results");
    if (res) res.innerHTML = "";
  });
})();
