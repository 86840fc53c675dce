"""A real SMTP server for notify's tests, built on aiosmtpd.

Listens on 127.0.0.1 on a free port, prints the port on stdout, and stores
each accepted message in a Maildir. Optional AUTH (PLAIN and LOGIN, or
LOGIN only) and STARTTLS with a given certificate.
"""
import argparse
import asyncio
import ssl
import sys

from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--maildir", required=True)
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--login-only", action="store_true")
    args = ap.parse_args()

    handler = Mailbox(args.maildir)
    tls = None
    if args.cert:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(args.cert, args.key)

    def authenticator(server, session, envelope, mechanism, data):
        ok = (isinstance(data, LoginPassword)
              and data.login.decode() == args.user
              and data.password.decode() == args.password)
        return AuthResult(success=ok, handled=False)

    kw = {}
    if args.user:
        kw = dict(authenticator=authenticator, auth_required=True,
                  auth_require_tls=bool(tls))
        if args.login_only:
            kw["auth_exclude_mechanism"] = ["PLAIN"]

    def factory():
        return SMTP(handler, hostname="smtp.test", tls_context=tls,
                    require_starttls=bool(tls), **kw)

    async def serve():
        srv = await asyncio.get_running_loop().create_server(factory, "127.0.0.1", 0)
        print(srv.sockets[0].getsockname()[1], flush=True)
        await srv.serve_forever()

    asyncio.run(serve())


if __name__ == "__main__":
    sys.exit(main())
