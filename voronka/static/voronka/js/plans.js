// Plan form: show only the target field that the chosen dimension needs. The dimension → field
// mapping comes from Python (plans.services.TARGET_FIELDS) through a json_script element.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("[data-testid=plan-form]");
  const dimension = form && form.querySelector("select[name=dimension]");
  const mapping = document.getElementById("plan-target-fields");
  if (!dimension || !mapping) return;
  const targets = JSON.parse(mapping.textContent);
  const update = () => {
    Object.entries(targets).forEach(([key, name]) => {
      const field = form.querySelector(`[data-field=${name}]`);
      if (field) field.style.display = key === dimension.value ? "" : "none";
    });
  };
  dimension.addEventListener("change", update);
  update();
});

// Deleting a plan asks first: the button's data-confirm, asked by app.js.
