// The certificate picker shared by the login, password and copy pages: certificates kept
// in this browser, plus import of signCert.der / signPri.key files into it.
import * as dk from "./devicekeys.js";

function certInfo(der) {
  // The subject and expiry come from the server's page data when stored; files only carry
  // the DER, so the serial is read from it with the vendored ASN.1 parser.
  return dk.certificateSummary(der);
}

export async function fillPicker(root) {
  const select = root.querySelector("[data-cert-select]");
  const records = await dk.store.list();
  select.replaceChildren();
  for (const r of records) {
    const option = document.createElement("option");
    option.value = r.serial;
    option.textContent = `${r.subject || r.serial} ${r.notAfter ? `(${r.notAfter.slice(0, 10)})` : ""}`;
    select.append(option);
  }
  return records.length;
}

export async function selected(root) {
  const serial = root.querySelector("[data-cert-select]").value;
  if (!serial) throw new dk.DeviceKeyError("no_certificate");
  return dk.store.get(serial);
}

async function readFile(input) {
  const file = input.files && input.files[0];
  if (!file) throw new dk.DeviceKeyError("invalid_key_file");
  return new Uint8Array(await file.arrayBuffer());
}

export async function filesRead(root) {
  const certDer = await readFile(root.querySelector("[data-cert-file]"));
  const encKey = await readFile(root.querySelector("[data-key-file]"));
  return { ...certInfo(certDer), certDer, encKey };
}

// The button is rendered `disabled` (certcenter/_device_certs.html) and enabled here, once
// its handler is attached: a click while the page's module is still loading (the vendored
// bundle, the first IndexedDB read) would otherwise do nothing at all.
export function wireImport(root, report) {
  const button = root.querySelector("[data-import-files]");
  if (!button) return;
  button.addEventListener("click", async () => {
    try {
      await dk.store.put(await filesRead(root));
      await fillPicker(root);
      report("imported");
    } catch (e) {
      report(e.code || "invalid_key_file");
    }
  });
  button.disabled = false;
}
