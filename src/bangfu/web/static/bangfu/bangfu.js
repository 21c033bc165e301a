// Region tree: a toggle loads its children once (htmx) and then collapses and re-opens them.
document.addEventListener("click", (event) => {
  const toggle = event.target.closest("button.toggle");
  if (!toggle || toggle.getAttribute("aria-expanded") !== "true") return;
  const list = toggle.parentElement.querySelector(":scope > ul.tree");
  if (list) list.innerHTML = "";
  toggle.setAttribute("aria-expanded", "false");
  toggle.textContent = "▸";
  event.stopPropagation();  // capture phase: htmx never sees this click, so nothing is fetched
  event.preventDefault();
}, true);

document.addEventListener("htmx:afterSwap", (event) => {
  const toggle = event.detail.requestConfig && event.detail.requestConfig.elt;
  if (toggle && toggle.classList.contains("toggle")) {
    toggle.setAttribute("aria-expanded", "true");
    toggle.textContent = "▾";
  }
});

// "Use my location" on the visit form: the phone's position into the latitude and longitude
// fields (optional; nothing is sent anywhere but with the form).
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-locate]");
  if (!button || !navigator.geolocation) return;
  event.preventDefault();
  const form = button.closest("form");
  button.disabled = true;
  navigator.geolocation.getCurrentPosition((position) => {
    form.querySelector("[name=latitude]").value = position.coords.latitude.toFixed(6);
    form.querySelector("[name=longitude]").value = position.coords.longitude.toFixed(6);
    button.disabled = false;
  }, () => { button.disabled = false; }, { enableHighAccuracy: true, timeout: 15000 });
});
