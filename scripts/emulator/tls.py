"""A private CA and a server certificate for 127.0.0.1/localhost, so every client of the local
emulator verifies TLS against an explicit trust anchor (no `insecure`, no disabled verification).

Files in the TLS folder: ca.pem (the trust anchor to hand to clients), server.pem + server-key.pem
(the emulator's), and ca-bundle.pem (the system bundle plus ca.pem, for NODE_EXTRA_CA_CERTS, which
takes one file). Regenerated when missing or within a day of expiry; never leaves the machine.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

VALID_DAYS = 30
SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _still_valid(path: Path) -> bool:
    if not path.exists():
        return False
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    return cert.not_valid_after_utc - datetime.datetime.now(datetime.timezone.utc) > datetime.timedelta(days=1)


def ensure_certificates(folder: Path, system_bundle: str = os.environ.get("NEXUS_SYSTEM_CA_BUNDLE", SYSTEM_BUNDLE)) -> dict[str, Path]:
    files = {name: folder / f"{name}.pem" for name in ("ca", "server", "server-key", "ca-bundle")}
    if all(path.exists() for path in files.values()) and _still_valid(files["server"]):
        return files
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Nexus local emulator CA"))
        .issuer_name(_name("Nexus local emulator CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    files["ca"].write_bytes(_pem(ca))
    files["server"].write_bytes(_pem(server))
    files["server-key"].write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    files["server-key"].chmod(0o600)
    system = Path(system_bundle).read_bytes() if Path(system_bundle).exists() else b""
    files["ca-bundle"].write_bytes(system + b"\n" + _pem(ca))
    return files
