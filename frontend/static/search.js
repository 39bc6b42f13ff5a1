// Live search: results, filter counts, the sort label and the page title follow the search field
// and the filters without a full page load, and the count is announced in a status region that
// stays in the page. Without JavaScript the form works by submitting.
(function () {
  "use strict";
  var form = document.querySelector("form[data-live-search]");
  if (!form || !window.fetch || !window.URLSearchParams || !window.DOMParser) { return; }
  document.documentElement.classList.add("has-script");
  var timer = null;
  var latest = 0;

  // The filters are open beside the results on wide screens, folded away on a phone.
  var panel = form.querySelector("[data-filter-panel]");
  var wide = window.matchMedia("(min-width: 48rem)");
  function fitPanel() { if (panel) { panel.open = wide.matches; } }
  fitPanel();
  if (wide.addEventListener) { wide.addEventListener("change", fitPanel); }

  function currentUrl() {
    var params = new URLSearchParams(new FormData(form));
    var keep = new URLSearchParams();
    params.forEach(function (value, key) { if (value !== "") { keep.append(key, value); } });
    var query = keep.toString();
    return form.getAttribute("action") + (query ? "?" + query : "");
  }

  function adopt(target, fresh) {
    var nodes = [];
    fresh.childNodes.forEach(function (node) { nodes.push(document.importNode(node, true)); });
    target.replaceChildren.apply(target, nodes);
  }

  // Replace the filters, and keep focus on the checkbox the person was on.
  function replaceFilters(target, fresh) {
    var active = document.activeElement;
    var focused = active && target.contains(active) && active.name ?
      { name: active.name, value: active.value } : null;
    adopt(target, fresh);
    if (focused) {
      var again = Array.prototype.find.call(target.querySelectorAll("input"), function (input) {
        return input.name === focused.name && input.value === focused.value;
      });
      if (again) { again.focus(); }
    }
  }

  function apply(doc, url) {
    var live = doc.getElementById("live");
    if (!live) { return; }
    ["resultater", "valgt"].forEach(function (id) {
      var target = document.getElementById(id), fresh = doc.getElementById(id);
      if (target && fresh) { adopt(target, fresh); }
    });
    var filters = document.getElementById("filtervalg"), freshFilters = doc.getElementById("filtervalg");
    if (filters && freshFilters) { replaceFilters(filters, freshFilters); }
    var sort = document.getElementById("sortering");
    if (sort && sort.options.length) { sort.options[0].textContent = live.getAttribute("data-sort-default"); }
    document.title = live.getAttribute("data-title");
    // the status region stays; only its text changes, which is what screen readers announce
    var status = document.getElementById("treff"), freshStatus = doc.getElementById("treff");
    if (status && freshStatus && status.textContent !== freshStatus.textContent) { adopt(status, freshStatus); }
    window.history.replaceState(null, "", url);
  }

  function refresh() {
    var url = currentUrl();
    var ticket = ++latest;
    var separator = url.indexOf("?") === -1 ? "?" : "&";
    fetch(url + separator + "delvis=1", { headers: { "Accept": "text/html" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null || ticket !== latest) { return; }
        apply(new DOMParser().parseFromString(html, "text/html"), url);
      })
      .catch(function () { /* the submit buttons still work */ });
  }

  form.addEventListener("input", function (event) {
    if (event.target && event.target.type === "search") {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, 250);
    }
  });
  form.addEventListener("change", function (event) {
    if (event.target && event.target.type !== "search") { refresh(); }
  });
})();
