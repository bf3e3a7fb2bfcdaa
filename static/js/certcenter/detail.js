// The certificate page: joins the certificate to the key waiting on this device (after an
// issue, reissue or renewal), in the browser store or as signCert.der / signPri.key files.
import * as dk from "./devicekeys.js";

const box = document.querySelector("[data-cert-detail]");
const status = box.querySelector("[data-store-status]");
const der = dk.fromBase64(box.dataset.der);
const record = (encKey) => ({
  serial: box.dataset.serial, certDer: der, encKey, subject: box.dataset.subject,
  notAfter: box.dataset.notAfter, type: box.dataset.type,
});

function show(code) {
  status.hidden = false;
  status.textContent = dk.message(code);
}

const pending = await dk.store.pendingGet(box.dataset.idempotencyKey);
if (pending) {
  if (pending.storage === "files") {
    dk.download("signCert.der", der);
    dk.download("signPri.key", pending.encKey);
    show("files_saved");
  } else {
    await dk.store.put(record(pending.encKey));
    show("saved");
  }
  await dk.store.pendingRemove(box.dataset.idempotencyKey);
} else if (await dk.store.get(box.dataset.serial)) {
  show("saved");
}

document.querySelector("[data-save-files]").addEventListener("click", async () => {
  const stored = await dk.store.get(box.dataset.serial);
  if (!stored) {
    show("no_certificate");
    return;
  }
  dk.download("signCert.der", stored.certDer);
  dk.download("signPri.key", stored.encKey);
  show("files_saved");
});
