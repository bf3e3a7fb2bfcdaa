// Signing an order with the joint certificate kept in this browser.
//
// Algorithm: RSASSA-PKCS1-v1_5 with SHA-256 (WebCrypto) over the exact bytes of the order,
// which is what certcenter.services.signature_verify checks on the server. The signature is
// 256 bytes (RSA-2048), sent as standard base64.
//
// Contract for a page (any app): a <form data-sign-order="BASE64 OF THE ORDER BYTES"> with
//   <input type="password" name="cert_password">   the certificate password (never sent:
//                                                   it is cleared and disabled before submit)
//   <input type="hidden" name="signature">          receives the base64 signature
// and optionally
//   [data-cert-select]   a certificate picker (certpicker.js) to choose the certificate;
//                        without one, every certificate stored here that has not expired is
//                        tried, newest first, and the one the password opens signs
//   data-sign-serials    space-separated serials (lowercase hex) the page accepts
//   [data-sign-error]    where messages go (otherwise a role=alert paragraph is added)
//   [data-sign-submit]   submit buttons rendered `disabled`: enabled once signing is wired,
//                        so a click before this module has loaded cannot post unsigned
// Once wired, the form gets data-sign-ready="1".
// Messages come from certcenter/_device_messages.html when the page includes it, in the
// page's language; otherwise a built-in Korean/English text is shown.
import * as dk from "./devicekeys.js";
import { fillPicker, selected } from "./certpicker.js";

const BILINGUAL = {
  no_certificate: "이 기기에 저장된 인증서가 없습니다. 인증센터에서 발급받거나 가져오세요. / "
    + "No certificate is stored on this device. Issue or import one in the certificate center.",
  wrong_certificate_password: "인증서 비밀번호가 올바르지 않습니다. / "
    + "The certificate password is not correct.",
  enter_certificate_password: "인증서 비밀번호를 입력하세요. / Enter the certificate password.",
  invalid_key_file: "저장된 인증서의 키를 읽을 수 없습니다. / The stored key could not be read.",
  signing: "인증서로 서명하는 중… / Signing with the certificate…",
  failed: "서명하지 못했습니다. / The order could not be signed.",
};

const say = (code) => dk.message(code, BILINGUAL[code] || BILINGUAL.failed);

function errorBox(form) {
  let box = form.querySelector("[data-sign-error]");
  if (!box) {
    box = document.createElement("p");
    box.className = "errors";
    box.setAttribute("role", "alert");
    box.dataset.signError = "";
    box.dataset.testid = "sign-error";
    form.prepend(box);
  }
  return box;
}

async function candidates(form) {
  if (form.querySelector("[data-cert-select]")) {
    const record = await selected(form);
    if (!record) throw new dk.DeviceKeyError("no_certificate");
    return [record];
  }
  const accepted = (form.dataset.signSerials || "").split(/\s+/).filter(Boolean);
  // notAfter is ISO 8601 with an offset (KST from the certificate page, UTC from files).
  const expiry = (r) => (r.notAfter ? Date.parse(r.notAfter) : Infinity);
  const now = Date.now();
  const records = (await dk.store.list())
    .filter((r) => !accepted.length || accepted.includes(r.serial))
    .filter((r) => !(expiry(r) < now))
    .sort((a, b) => expiry(b) - expiry(a));
  if (!records.length) throw new dk.DeviceKeyError("no_certificate");
  return records;
}

// The key of the first candidate the password opens; a wrong password for all of them is
// reported as such (a single unreadable record does not hide the others).
async function openKey(records, password) {
  let failure = "wrong_certificate_password";
  for (const record of records) {
    try {
      return await dk.decryptPrivateKey(record.encKey, password);
    } catch (e) {
      if (e.code !== "wrong_certificate_password") failure = e.code || "failed";
    }
  }
  throw new dk.DeviceKeyError(records.length > 1 ? "wrong_certificate_password" : failure);
}

export async function signOrder(form, password) {
  const order = dk.fromBase64(form.dataset.signOrder);
  const key = await openKey(await candidates(form), password);
  return dk.toBase64(await dk.sign(key, order));
}

function wire(form) {
  const password = form.querySelector("input[name=cert_password]");
  const signature = form.querySelector("input[name=signature]");
  if (!password || !signature) return;
  form.addEventListener("submit", async (event) => {
    if (form.dataset.signed === "1") return;
    event.preventDefault();
    const box = errorBox(form);
    const buttons = form.querySelectorAll("button[type=submit], input[type=submit]");
    if (!password.value) {
      box.textContent = say("enter_certificate_password");
      password.focus();
      return;
    }
    buttons.forEach((b) => { b.disabled = true; });
    box.textContent = say("signing");
    try {
      signature.value = await signOrder(form, password.value);
    } catch (e) {
      signature.value = "";
      box.textContent = say(e.code || "failed");
      buttons.forEach((b) => { b.disabled = false; });
      password.select();
      return;
    }
    box.textContent = "";
    password.value = "";
    password.disabled = true;
    form.dataset.signed = "1";
    buttons.forEach((b) => { b.disabled = false; });
    form.requestSubmit(event.submitter || undefined);
  });
  form.querySelectorAll("[data-sign-submit]").forEach((b) => { b.disabled = false; });
  form.dataset.signReady = "1";
  // Back from the next page (bfcache): the form must be signed again.
  window.addEventListener("pageshow", () => {
    delete form.dataset.signed;
    signature.value = "";
    password.disabled = false;
  });
}

for (const form of document.querySelectorAll("form[data-sign-order]")) {
  if (form.querySelector("[data-cert-select]")) await fillPicker(form);
  wire(form);
}
