// Keys on the device: RSA-2048 generation, the PKCS#10 request, the PKCS#8
// EncryptedPrivateKeyInfo (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC) that `openssl pkcs8`
// opens, and the browser's certificate store (IndexedDB). The private key leaves this
// module only encrypted with the certificate password.
import {
  asn1js, AttributeTypeAndValue, CertificationRequest, CryptoEngine, setEngine,
} from "./vendor/pki.bundle.js";

setEngine("webcrypto", new CryptoEngine({ name: "webcrypto", crypto: globalThis.crypto }));

const RSA = {
  name: "RSASSA-PKCS1-v1_5",
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: "SHA-256",
};
const OID = {
  pbes2: "1.2.840.113549.1.5.13",
  pbkdf2: "1.2.840.113549.1.5.12",
  hmacSha256: "1.2.840.113549.2.9",
  aes256cbc: "2.16.840.1.101.3.4.1.42",
  commonName: "2.5.4.3",
};
export const PBKDF2_ITERATIONS = 100000;
export const PASSWORD_RULE = /^(?=.*[A-Za-z])(?=.*\d)(?=.*[^A-Za-z\d\s]).{10,50}$/;

export class DeviceKeyError extends Error {
  constructor(code) {
    super(code);
    this.code = code;
  }
}

export function passwordCheck(password) {
  if (typeof password !== "string" || !PASSWORD_RULE.test(password)) {
    throw new DeviceKeyError("weak_certificate_password");
  }
}

export async function generateKeyAndCsr(name) {
  const keys = await crypto.subtle.generateKey(RSA, true, ["sign", "verify"]);
  const csr = new CertificationRequest();
  csr.version = 0;
  if (name) {
    csr.subject.typesAndValues.push(new AttributeTypeAndValue({
      type: OID.commonName, value: new asn1js.Utf8String({ value: name }),
    }));
  }
  csr.attributes = [];
  await csr.subjectPublicKeyInfo.importKey(keys.publicKey);
  await csr.sign(keys.privateKey, "SHA-256");
  return { privateKey: keys.privateKey, csrDer: new Uint8Array(csr.toSchema().toBER(false)) };
}

async function pbkdf2Key(password, salt, iterations, usage) {
  const base = await crypto.subtle.importKey(
    "raw", new TextEncoder().encode(password), "PBKDF2", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "PBKDF2", salt, iterations, hash: "SHA-256" }, base,
    { name: "AES-CBC", length: 256 }, false, [usage]);
}

const oid = (value) => new asn1js.ObjectIdentifier({ value });

export async function encryptPrivateKey(privateKey, password) {
  passwordCheck(password);
  const plain = await crypto.subtle.exportKey("pkcs8", privateKey);
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(16));
  const aes = await pbkdf2Key(password, salt, PBKDF2_ITERATIONS, "encrypt");
  const sealed = await crypto.subtle.encrypt({ name: "AES-CBC", iv }, aes, plain);
  const info = new asn1js.Sequence({ value: [
    new asn1js.Sequence({ value: [oid(OID.pbes2), new asn1js.Sequence({ value: [
      new asn1js.Sequence({ value: [oid(OID.pbkdf2), new asn1js.Sequence({ value: [
        new asn1js.OctetString({ valueHex: salt }),
        new asn1js.Integer({ value: PBKDF2_ITERATIONS }),
        new asn1js.Sequence({ value: [oid(OID.hmacSha256), new asn1js.Null()] }),
      ] })] }),
      new asn1js.Sequence({ value: [oid(OID.aes256cbc), new asn1js.OctetString({ valueHex: iv })] }),
    ] })] }),
    new asn1js.OctetString({ valueHex: new Uint8Array(sealed) }),
  ] });
  return new Uint8Array(info.toBER(false));
}

function parseEncrypted(der) {
  const parsed = asn1js.fromBER(der);
  try {
    if (parsed.offset === -1) throw new Error("ber");
    const [alg, data] = parsed.result.valueBlock.value;
    const [algOid, pbes2] = alg.valueBlock.value;
    const [kdf, cipher] = pbes2.valueBlock.value;
    const [kdfOid, kdfParams] = kdf.valueBlock.value;
    const params = kdfParams.valueBlock.value;
    const salt = new Uint8Array(params[0].valueBlock.valueHexView);
    const iterations = params[1].valueBlock.valueDec;
    const prf = params.find((p, i) => i >= 2 && p instanceof asn1js.Sequence);
    const [cipherOid, iv] = cipher.valueBlock.value;
    if (algOid.valueBlock.toString() !== OID.pbes2 || kdfOid.valueBlock.toString() !== OID.pbkdf2
        || !prf || prf.valueBlock.value[0].valueBlock.toString() !== OID.hmacSha256
        || cipherOid.valueBlock.toString() !== OID.aes256cbc
        || iterations < 1000 || iterations > 10000000) {
      throw new Error("algorithm");
    }
    return { salt, iterations, iv: new Uint8Array(iv.valueBlock.valueHexView),
      data: new Uint8Array(data.valueBlock.valueHexView) };
  } catch (error) {
    throw new DeviceKeyError("invalid_key_file");
  }
}

export async function decryptPrivateKey(der, password, extractable = false) {
  const { salt, iterations, iv, data } = parseEncrypted(der);
  const aes = await pbkdf2Key(password, salt, iterations, "decrypt");
  let plain;
  try {
    plain = await crypto.subtle.decrypt({ name: "AES-CBC", iv }, aes, data);
  } catch (error) {
    throw new DeviceKeyError("wrong_certificate_password");
  }
  try {
    return await crypto.subtle.importKey("pkcs8", plain, RSA, extractable, ["sign"]);
  } catch (error) {
    throw new DeviceKeyError("wrong_certificate_password");
  }
}

export async function changePassword(der, oldPassword, newPassword) {
  passwordCheck(newPassword);
  const key = await decryptPrivateKey(der, oldPassword, true);
  return encryptPrivateKey(key, newPassword);
}

export async function sign(privateKey, bytes) {
  return new Uint8Array(await crypto.subtle.sign("RSASSA-PKCS1-v1_5", privateKey, bytes));
}

export function toBase64(bytes) {
  let text = "";
  for (const b of new Uint8Array(bytes)) text += String.fromCharCode(b);
  return btoa(text);
}

export function fromBase64(text) {
  const raw = atob(text);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i += 1) out[i] = raw.charCodeAt(i);
  return out;
}

// ------------------------------------------------------------------ the browser's store

const DB_NAME = "postbank-certificates";

function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore("certs", { keyPath: "serial" });
      request.result.createObjectStore("pending", { keyPath: "id" });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function tx(store, mode, action) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(store, mode);
    const request = action(transaction.objectStore(store));
    transaction.oncomplete = () => resolve(request ? request.result : undefined);
    transaction.onerror = () => reject(transaction.error);
  });
}

export const store = {
  put: (record) => tx("certs", "readwrite", (s) => s.put(record)),
  list: () => tx("certs", "readonly", (s) => s.getAll()),
  get: (serial) => tx("certs", "readonly", (s) => s.get(serial)),
  remove: (serial) => tx("certs", "readwrite", (s) => s.delete(serial)),
  pendingPut: (record) => tx("pending", "readwrite", (s) => s.put(record)),
  pendingGet: (id) => tx("pending", "readonly", (s) => s.get(id)),
  pendingRemove: (id) => tx("pending", "readwrite", (s) => s.delete(id)),
};

export function download(name, bytes) {
  const url = URL.createObjectURL(new Blob([bytes], { type: "application/octet-stream" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// The page's translated text for a code (certcenter/_device_messages.html); pages of other
// apps that do not include it get `fallback`, or the code itself.
export function message(code, fallback) {
  const box = document.querySelector("[data-device-messages]");
  const text = box && box.dataset[`msg${code.replace(/(^|_)(\w)/g, (m, a, c) => c.toUpperCase())}`];
  return text || fallback || code;
}

// Serial (lowercase hex without leading zeros, as the bank writes it), subject CN and
// expiry of a DER certificate, for certificates that arrive as files.
export function certificateSummary(der) {
  const parsed = asn1js.fromBER(der);
  try {
    if (parsed.offset === -1) throw new Error("ber");
    const tbs = parsed.result.valueBlock.value[0].valueBlock.value;
    const offset = tbs[0].idBlock.tagClass === 3 ? 1 : 0;
    const serialBytes = tbs[offset].valueBlock.valueHexView;
    const serial = Array.from(serialBytes, (b) => b.toString(16).padStart(2, "0")).join("")
      .replace(/^0+/, "") || "0";
    const validity = tbs[offset + 3].valueBlock.value;
    let subject = "";
    for (const rdn of tbs[offset + 4].valueBlock.value) {
      for (const atv of rdn.valueBlock.value) {
        const [type, value] = atv.valueBlock.value;
        if (type.valueBlock.toString() === OID.commonName) subject = value.valueBlock.value;
      }
    }
    return { serial, subject, notAfter: validity[1].toDate().toISOString() };
  } catch (error) {
    throw new DeviceKeyError("invalid_key_file");
  }
}
