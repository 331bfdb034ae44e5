// Loaded between the vendored RequireJS and the ipywidgets embed manager (nb_ipywidgets_js in _config.yml),
// on pages that hold widgets. Two fixes so that the static widgets work offline without console errors:
//
// 1. Module paths. embed-amd.js defines its AMD modules (@jupyter-widgets/base, controls, html-manager, ...)
//    inline. RequireJS gives each module a URL under its baseUrl, by default the page's own folder, and each
//    module loads its icon fonts (Font Awesome, vendored beside embed-amd.js) from the folder of that URL:
//    without this a chapter page asks for book/chapters/@jupyter-widgets/<hash>.woff2, which is not there
//    (404). Mapping the module ids onto the vendored folder makes the fonts load from
//    _static/vendor/html-manager/.
// 2. MathJax. The widget manager typesets labels with MathJax 2's `MathJax.Hub.Queue` whenever
//    `window.MathJax` exists; the book loads MathJax 3, which has no `Hub`, so a page with math and widgets
//    threw "Cannot read properties of undefined (reading 'Queue')". A small `Hub.Queue` that calls
//    MathJax 3's typesetPromise stands in for it.
(function () {
  var script = document.currentScript;
  if (script && window.require && window.require.config) {
    var dir = script.src.replace(/[?#].*$/, "").replace(/[^\/]*$/, "") + "vendor/html-manager";
    window.require.config({
      paths: {
        "@jupyter-widgets": dir,                   // @jupyter-widgets/base -> .../vendor/html-manager/base.js
        "@jupyter-widgets/html-manager/dist": dir  // .../dist/libembed-amd -> .../vendor/html-manager/libembed-amd.js
      }
    });
  }

  function mathjax2Hub() {
    var mj = window.MathJax;
    if (!mj || !mj.version || mj.Hub) return;  // no MathJax 3 (yet), or a MathJax that has a Hub
    mj.Hub = {
      Queue: function (command) {  // called as Queue(["Typeset", MathJax.Hub, element])
        var element = command && command[2];
        var ready = mj.startup && mj.startup.promise ? mj.startup.promise : Promise.resolve();
        return ready.then(function () {
          return mj.typesetPromise ? mj.typesetPromise(element ? [element] : undefined) : null;
        }).catch(function (err) { console.warn("MathJax could not typeset a widget label:", err); });
      }
    };
  }
  // MathJax 3 is a deferred script: it has run by DOMContentLoaded, before the widgets render (on load).
  document.addEventListener("DOMContentLoaded", mathjax2Hub);
  window.addEventListener("load", mathjax2Hub);
})();
