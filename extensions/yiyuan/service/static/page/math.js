// LaTeX in what trainers and learners wrote ($…$, $$…$$, \(…\), \[…\]), drawn by KaTeX from
// the service's own files (yiyuan.service.static_files.math_assets), in every element marked
// data-math. A formula KaTeX cannot read stays as written, never an error on the page.
(function () {
  "use strict";
  var DELIMITERS = [
    { left: "$$", right: "$$", display: true },
    { left: "\\[", right: "\\]", display: true },
    { left: "$", right: "$", display: false },
    { left: "\\(", right: "\\)", display: false },
  ];
  function draw() {
    if (typeof window.renderMathInElement !== "function") return;
    var marked = document.querySelectorAll("[data-math]");
    for (var i = 0; i < marked.length; i++) {
      window.renderMathInElement(marked[i], {
        delimiters: DELIMITERS,
        throwOnError: false,
        // code shows code: a $ in a learner's program is not a formula
        ignoredTags: ["script", "noscript", "style", "textarea", "pre", "code", "option"],
      });
    }
    document.documentElement.setAttribute("data-math-drawn", "1");
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
