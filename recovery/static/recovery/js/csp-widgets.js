// Wagtail starts its date, time and date-time pickers and its choosers from an inline <script>
// after each input, which the Content-Security-Policy (script-src 'self') refuses. Our widget
// templates (recovery/templates/wagtailadmin/widgets/) and chooser rendering
// (recovery/csp_widgets.py) leave a marker instead; this starts the widget for every marker,
// including those that arrive later (filters refreshed in place, forms in modals).
(function () {
  "use strict";
  const PICKERS = { date: "initDateChooser", time: "initTimeChooser", datetime: "initDateTimeChooser" };
  // Only Wagtail's chooser classes: a marker never names an arbitrary global.
  const CHOOSER = /^[A-Z][A-Za-z]*Chooser$/;

  function starter(marker) {
    const picker = marker.dataset.recoveryChooser;
    if (picker) {
      const start = window[PICKERS[picker]];
      return typeof start === "function" ? (id, config) => start(id, config) : null;
    }
    const name = marker.dataset.recoveryConstructor;
    const Constructor = CHOOSER.test(name || "") ? window[name] : null;
    return typeof Constructor === "function" ? (id, config) => new Constructor(id, config) : null;
  }

  function startAll() {
    const pending = "[data-recovery-chooser]:not([data-started]), [data-recovery-constructor]:not([data-started])";
    document.querySelectorAll(pending).forEach((marker) => {
      const start = starter(marker);
      // The widget's own script comes with the form's media; until it has loaded, wait.
      if (!start || !document.getElementById(marker.dataset.inputId)) return;
      marker.setAttribute("data-started", "");
      start(marker.dataset.inputId, JSON.parse(marker.dataset.config || "{}"));
    });
  }

  function boot() {
    startAll();
    new MutationObserver(startAll).observe(document.body, { childList: true, subtree: true });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", boot);
  } else {
    boot();
  }
})();
