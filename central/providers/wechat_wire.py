"""WeChat Pay API v3 on the wire, both sides: the merchant's request signature
(``WECHATPAY2-SHA256-RSA2048``), the platform's signature on answers and
notifications (``Wechatpay-Timestamp``, ``-Nonce``, ``-Signature``,
``-Serial``), and the notification's ``resource`` under AEAD_AES_256_GCM
with the APIv3 key. Pure functions over bytes and keys; the client
(``wechat.py``) and the simulator (``central/providersim``) both use them,
and the tests check them against the wechatpayv3 SDK's own code.

The signed messages, as WeChat Pay documents them:

* a request: ``METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n``, signed with
  the merchant's private key, RSA PKCS#1 v1.5 over SHA-256, base64;
* an answer or a notification: ``TIMESTAMP\\nNONCE\\nBODY\\n``, signed with the
  platform's key; the merchant checks it with the platform certificate or
  public key that ``Wechatpay-Serial`` names, and refuses a timestamp more
  than five minutes away.
"""

from __future__ import annotations

import base64
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SCHEME = "WECHATPAY2-SHA256-RSA2048"
MAX_SKEW_S = 300
AUTH_FIELD = re.compile(r'(\w+)="([^"]*)"')


class BadSignature(ValueError):
    """A signature, timestamp, serial or ciphertext that does not check out."""


def sign(private_key: rsa.RSAPrivateKey, message: str) -> str:
    signature = private_key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode()


def check(public_key: rsa.RSAPublicKey, message: str, signature: str) -> None:
    try:
        public_key.verify(
            base64.b64decode(signature, validate=True), message.encode(), padding.PKCS1v15(),
            hashes.SHA256(),
        )  # fmt: skip
    except (InvalidSignature, ValueError) as exc:
        raise BadSignature("the signature does not verify") from exc


def nonce() -> str:
    return secrets.token_hex(16).upper()


def request_message(method: str, path: str, timestamp: str, nonce_str: str, body: str) -> str:
    return f"{method}\n{path}\n{timestamp}\n{nonce_str}\n{body}\n"


def authorization(
    private_key: rsa.RSAPrivateKey, mchid: str, serial_no: str, method: str, path: str,
    body: str, timestamp: str | None = None, nonce_str: str | None = None,
) -> str:  # fmt: skip
    """The ``Authorization`` header of a merchant's request."""
    timestamp = timestamp or str(int(time.time()))
    nonce_str = nonce_str or nonce()
    signature = sign(private_key, request_message(method, path, timestamp, nonce_str, body))
    return (
        f'{SCHEME} mchid="{mchid}",nonce_str="{nonce_str}",signature="{signature}",'
        f'timestamp="{timestamp}",serial_no="{serial_no}"'
    )


@dataclass(frozen=True, slots=True)
class Caller:
    mchid: str
    serial_no: str


def check_authorization(
    header: str, method: str, path: str, body: str, keys: Mapping[str, rsa.RSAPublicKey],
    now: float | None = None,
) -> Caller:  # fmt: skip
    """The provider's side: who signed the request (``keys``: merchant
    certificate serial → public key); BadSignature if it does not check."""
    if not header.startswith(SCHEME + " "):
        raise BadSignature("not a WECHATPAY2-SHA256-RSA2048 authorization")
    fields = dict(AUTH_FIELD.findall(header[len(SCHEME) + 1 :]))
    missing = {"mchid", "nonce_str", "signature", "timestamp", "serial_no"} - fields.keys()
    if missing:
        raise BadSignature(f"the authorization lacks {sorted(missing)}")
    key = keys.get(fields["serial_no"])
    if key is None:
        raise BadSignature(f"no merchant certificate {fields['serial_no']}")
    _fresh(fields["timestamp"], now)
    message = request_message(method, path, fields["timestamp"], fields["nonce_str"], body)
    check(key, message, fields["signature"])
    return Caller(fields["mchid"], fields["serial_no"])


def answer_message(timestamp: str, nonce_str: str, body: str) -> str:
    return f"{timestamp}\n{nonce_str}\n{body}\n"


def signed_headers(private_key: rsa.RSAPrivateKey, serial: str, body: str) -> dict[str, str]:
    """The platform's headers on an answer or a notification."""
    timestamp, nonce_str = str(int(time.time())), nonce()
    return {
        "Wechatpay-Timestamp": timestamp,
        "Wechatpay-Nonce": nonce_str,
        "Wechatpay-Signature": sign(private_key, answer_message(timestamp, nonce_str, body)),
        "Wechatpay-Serial": serial,
        "Wechatpay-Signature-Type": SCHEME,
    }


def check_answer(
    headers: Mapping[str, str], body: str, keys: Mapping[str, rsa.RSAPublicKey],
    now: float | None = None,
) -> None:  # fmt: skip
    """The merchant's side: an answer or notification signed by the platform key
    its ``Wechatpay-Serial`` names, with a fresh timestamp; else BadSignature.
    ``headers`` must look names up case-insensitively (requests' and
    Starlette's do)."""
    needed = ("Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Signature", "Wechatpay-Serial")
    found = [headers.get(name) for name in needed]
    if any(not value for value in found):
        raise BadSignature("unsigned: the Wechatpay-* headers are missing")
    timestamp, nonce_str, signature, serial = (str(value) for value in found)
    key = keys.get(serial)
    if key is None:
        raise BadSignature(f"signed with an unknown platform key {serial!r}")
    _fresh(timestamp, now)
    check(key, answer_message(timestamp, nonce_str, body), signature)


def _fresh(timestamp: str, now: float | None) -> None:
    if not timestamp.isdigit():
        raise BadSignature(f"timestamp {timestamp!r} is not a number")
    skew = abs((time.time() if now is None else now) - int(timestamp))
    if skew > MAX_SKEW_S:
        raise BadSignature(f"timestamp {skew:.0f} s away (more than {MAX_SKEW_S} s)")


def encrypt(apiv3_key: bytes, plaintext: str, associated_data: str) -> dict[str, str]:
    """A notification's ``resource``, as the platform makes it."""
    nonce_str = secrets.token_hex(6)  # 12 characters, used as 12 bytes
    sealed = AESGCM(apiv3_key).encrypt(
        nonce_str.encode(), plaintext.encode(), associated_data.encode()
    )
    return {
        "algorithm": "AEAD_AES_256_GCM", "ciphertext": base64.b64encode(sealed).decode(),
        "associated_data": associated_data, "nonce": nonce_str,
    }  # fmt: skip


def decrypt(apiv3_key: bytes, resource: Mapping[str, object]) -> str:
    """The plaintext of a notification's ``resource``; BadSignature if the tag
    does not check (a forged or altered ciphertext, or another key)."""
    if resource.get("algorithm") != "AEAD_AES_256_GCM":
        raise BadSignature(f"resource algorithm {resource.get('algorithm')!r}")
    fields = [resource.get(k) for k in ("nonce", "ciphertext", "associated_data")]
    if not all(isinstance(x, str) for x in fields):
        raise BadSignature("resource: nonce, ciphertext or associated_data missing")
    nonce_str, ciphertext, associated = (str(x) for x in fields)
    try:
        plain = AESGCM(apiv3_key).decrypt(
            nonce_str.encode(), base64.b64decode(ciphertext, validate=True), associated.encode()
        )
    except (InvalidTag, ValueError) as exc:
        raise BadSignature("the resource does not decrypt under the APIv3 key") from exc
    return plain.decode()


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )  # fmt: skip


def public_pem(key: rsa.RSAPublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_private(pem: bytes) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key


def load_public(pem: bytes) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key
