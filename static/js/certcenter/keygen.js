// Issue, reissue and renew forms: the key pair and the PKCS#10 request are made here; the
// encrypted key waits in IndexedDB under the request's idempotency key until the
// certificate page stores it next to the certificate.
import * as dk from "./devicekeys.js";

for (const form of document.querySelectorAll("form[data-keygen]")) {
  form.addEventListener("submit", async (event) => {
    const csr = form.querySelector("input[name=csr]");
    if (csr.value) return;
    event.preventDefault();
    const error = form.querySelector("[data-keygen-error]");
    const button = form.querySelector("button[type=submit].primary");
    const password = form.querySelector("[data-cert-password]").value;
    const again = form.querySelector("[data-cert-password2]").value;
    error.textContent = "";
    try {
      dk.passwordCheck(password);
      if (password !== again) throw new dk.DeviceKeyError("password_mismatch");
      button.disabled = true;
      error.textContent = dk.message("working");
      const { privateKey, csrDer } = await dk.generateKeyAndCsr(form.dataset.name);
      const encKey = await dk.encryptPrivateKey(privateKey, password);
      const id = form.querySelector("input[name=idempotency_key]").value;
      await dk.store.pendingPut({ id, encKey, storage: form.querySelector("[data-storage]").value });
      csr.value = dk.toBase64(csrDer);
      form.submit();
    } catch (e) {
      button.disabled = false;
      error.textContent = dk.message(e.code || "failed");
    }
  });
}
