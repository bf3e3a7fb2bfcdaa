// Shows the time left in an idle session and extends it without leaving the page.
// The server ends the session on its own (SESSION_COOKIE_AGE); this only tells the customer.
const bar = document.getElementById("session-timer");

function format(seconds) {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return `${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}`;
}

if (bar) {
  const out = bar.querySelector(".time-left");
  const form = bar.querySelector("form");
  let deadline = Date.now() + Number(bar.dataset.secondsLeft) * 1000;

  const tick = () => {
    const left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    out.textContent = format(left);
    bar.classList.toggle("warning", left <= 60);
    if (left === 0) {
      window.location.assign(bar.dataset.expiredUrl);
    }
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const response = await fetch(form.action, {
      method: "POST",
      headers: { Accept: "application/json" },
      body: new FormData(form),
      credentials: "same-origin",
    });
    if (response.ok) {
      const data = await response.json();
      deadline = Date.now() + data.seconds_left * 1000;
      tick();
    } else {
      window.location.assign(bar.dataset.expiredUrl);
    }
  });

  tick();
  setInterval(tick, 1000);
}
