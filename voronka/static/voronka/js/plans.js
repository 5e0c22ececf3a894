// Plan form: show only the target field that the chosen dimension needs.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("[data-testid=plan-form]");
  const dimension = form && form.querySelector("select[name=dimension]");
  if (!dimension) return;
  const targets = { employee: "user", department: "department", product: "product", direction: "direction", customer: "company" };
  const update = () => {
    Object.entries(targets).forEach(([key, name]) => {
      const field = form.querySelector(`[data-field=${name}]`);
      if (field) field.style.display = key === dimension.value ? "" : "none";
    });
  };
  dimension.addEventListener("change", update);
  update();
});

// Deleting a plan asks first (the question is in the button's data-confirm).
document.addEventListener("submit", (event) => {
  const button = event.submitter;
  if (button && button.dataset.confirm && event.target.closest(".plan-delete")
      && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
  }
});
