"""Serves one OpenStack WSGI application on 127.0.0.1 with wsgiref, one request at a time.

Keystone and Placement ship only WSGI applications (Debian runs them under uwsgi or
Apache). On SQLite they must run in one thread: with a thread per request, a connection
left on a finished thread keeps its read lock and the next write fails with "database is
locked" (seen with Keystone creating endpoints). The pbr-made scripts would do the same,
but they also parse the command line for the application's oslo.config.

usage: wsgi_serve.py keystone|placement PORT   (config from OS_*_CONFIG_* variables)
"""

import sys
import wsgiref.simple_server as simple_server


class QuietHandler(simple_server.WSGIRequestHandler):
    def log_message(self, fmt, *args):  # one line a request, as uwsgi would log
        sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))


def application(name):
    if name == "keystone":
        from keystone.server.wsgi import initialize_public_application

        return initialize_public_application()
    if name == "placement":
        from placement.wsgi import init_application

        return init_application()
    raise SystemExit("unknown application: %s" % name)


def main():
    name, port = sys.argv[1], int(sys.argv[2])
    sys.argv = sys.argv[:1]  # oslo.config parses the command line too
    server = simple_server.make_server("127.0.0.1", port, application(name), handler_class=QuietHandler)
    server.serve_forever()


if __name__ == "__main__":
    main()
