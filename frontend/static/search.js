// Live search: results follow the search field and the filters without a full page load.
// Without JavaScript the form still works by submitting.
(function () {
  "use strict";
  var form = document.querySelector("form[data-live-search]");
  if (!form || !window.fetch || !window.URLSearchParams) { return; }
  var timer = null;
  var latest = 0;

  function currentUrl() {
    var params = new URLSearchParams(new FormData(form));
    var keep = new URLSearchParams();
    params.forEach(function (value, key) { if (value !== "") { keep.append(key, value); } });
    var query = keep.toString();
    return form.getAttribute("action") + (query ? "?" + query : "");
  }

  function refresh() {
    var url = currentUrl();
    var ticket = ++latest;
    var separator = url.indexOf("?") === -1 ? "?" : "&";
    fetch(url + separator + "delvis=1", { headers: { "Accept": "text/html" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null || ticket !== latest) { return; }
        var target = document.getElementById("resultater");
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector("#resultater");
        if (target && fresh) { target.replaceWith(fresh); }
        window.history.replaceState(null, "", url);
      })
      .catch(function () { /* the submit button still works */ });
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
