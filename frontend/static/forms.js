// Fields that apply only for some answers (data-shown-when="name=value|other") are hidden, and
// left out of the form, until the answer they depend on is given. Without JavaScript every field
// is shown and the service checks what applies.
(function () {
  "use strict";
  var dependents = Array.prototype.slice.call(document.querySelectorAll("[data-shown-when]"));
  if (!dependents.length) { return; }

  function answered(form, name, values) {
    return Array.prototype.some.call(form.elements, function (control) {
      if (control.name !== name || control.disabled) { return false; }
      if (control.type === "checkbox" || control.type === "radio") {
        return control.checked && values.indexOf(control.value) !== -1;
      }
      return values.indexOf(control.value) !== -1;
    });
  }

  function update() {
    // in page order, so a field that depends on a hidden one is hidden too
    dependents.forEach(function (element) {
      var rule = element.getAttribute("data-shown-when");
      var at = rule.indexOf("=");
      var form = element.closest("form");
      if (!form || at < 1) { return; }
      var shown = answered(form, rule.slice(0, at), rule.slice(at + 1).split("|"));
      element.hidden = !shown;
      Array.prototype.forEach.call(element.querySelectorAll("input, select, textarea"), function (control) {
        control.disabled = !shown;
      });
    });
  }

  update();
  document.addEventListener("change", function (event) {
    if (event.target && event.target.form) { update(); }
  });
})();
