"""A small real OpenStack (Debian 12's Zed packages) as local processes: up, down, nova.

Run by scripts/openstack-up and scripts/openstack-down with Debian's /usr/bin/python3.
Everything listens on 127.0.0.1 on ports the kernel picks, keeps its databases (SQLite),
configuration, logs and pid files under one state directory, and notifies with
driver = messagingv2 on one vhost of the local RabbitMQ. No systemd, no service packages:
each service runs from its Python module, one worker each.
"""

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"
SERVICES = ("keystone", "placement", "glance", "neutron", "nova", "heat")
NOVA_FORMATS = ("unversioned", "versioned", "both")
COMPUTE_HOSTS = ("compute1", "compute2")


def log(msg):
    print("openstack-up: %s" % msg, file=sys.stderr, flush=True)


def fail(msg):
    # One line naming what is missing or broken: the test reports it as is.
    print("openstack-up: FAILED: %s" % msg, file=sys.stderr, flush=True)
    sys.exit(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def ini(sections):
    out = []
    for name, values in sections.items():
        out.append("[%s]" % name)
        out.extend("%s = %s" % (k, v) for k, v in values.items())
        out.append("")
    return "\n".join(out)


def run(cmd, logfile, env=None, timeout=600):
    os.makedirs(os.path.dirname(logfile), exist_ok=True)
    with open(logfile, "a") as out:
        out.write("$ %s\n" % " ".join(cmd))
        out.flush()
        r = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, timeout=timeout)
    if r.returncode != 0:
        fail("%s exited %d (see %s)" % (" ".join(cmd[:4]), r.returncode, logfile))


def wal(*dbs):
    """Write-ahead logging on an SQLite database (kept in the file): readers no longer block
    a writer. Without it Keystone's own unfinished reads made its next write fail with
    "database is locked", and Nova's five processes share one file."""
    import sqlite3

    for db in dbs:
        con = sqlite3.connect(db)
        con.execute("PRAGMA journal_mode=WAL")
        con.close()


def module_cmd(module, prog, *args):
    """A service's console script, run from its module by Debian's python."""
    code = "import sys; from %s import main; sys.argv = %r; sys.exit(main())" % (module, [prog, *args])
    return [PY, "-c", code]


def _group_alive(pgid):
    try:
        os.killpg(pgid, 0)
        return True
    except OSError:
        return False


class Cloud:
    def __init__(self, state_dir):
        self.dir = os.path.abspath(state_dir)
        self.state_file = os.path.join(self.dir, "state.json")
        self.state = {}
        self.procs = {}
        if os.path.exists(self.state_file):
            with open(self.state_file) as f:
                self.state = json.load(f)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def save(self):
        write(self.state_file, json.dumps(self.state, indent=2))

    # ---- processes -------------------------------------------------------------------

    def start(self, name, cmd, env=None):
        os.makedirs(self.path("log"), exist_ok=True)
        out = open(self.path("log", name + ".log"), "a")
        full_env = dict(os.environ, **(env or {}))
        # Its own session: down stops the whole group by this pid, nothing else.
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=full_env, start_new_session=True, cwd=self.dir)
        self.state.setdefault("pids", {})[name] = p.pid
        self.procs[name] = p
        self.save()
        return p

    def alive(self, name):
        if name in self.procs:  # started by this run: a zombie is not alive
            return self.procs[name].poll() is None
        pid = self.state.get("pids", {}).get(name)
        if not pid:
            return False
        try:
            os.kill(pid, 0)
            return True
        except OSError:
            return False

    def stop(self, *names, grace=15):
        """SIGTERM to each process group, then SIGKILL to what is left after `grace` seconds."""
        pids = [p for p in (self.state.get("pids", {}).pop(n, None) for n in names) if p]
        self.save()
        for pid in pids:
            try:
                os.killpg(pid, signal.SIGTERM)
            except OSError:
                pass
        deadline = time.time() + grace
        while pids and time.time() < deadline:
            pids = [p for p in pids if _group_alive(p)]
            time.sleep(0.2)
        for pid in pids:
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass

    def wait_http(self, name, url, timeout=180):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not self.alive(name):
                fail("%s exited at start (see %s)" % (name, self.path("log", name + ".log")))
            try:
                urllib.request.urlopen(url, timeout=5)
                return
            except urllib.error.HTTPError:
                return  # it answers (401, 300): up
            except OSError:
                time.sleep(0.3)
        fail("%s did not answer %s within %d s (see %s)" % (name, url, timeout, self.path("log", name + ".log")))


# ---- configuration ------------------------------------------------------------------


def auth_section(c, extra=None):
    """Service credentials: the admin user, to keep the cloud small (one user, one project)."""
    s = {
        "auth_type": "password",
        "auth_url": c.state["keystone_url"],
        "username": "admin",
        "password": c.state["password"],
        "project_name": "admin",
        "user_domain_name": "Default",
        "project_domain_name": "Default",
        "region_name": "RegionOne",
    }
    s.update(extra or {})
    return s


def authtoken(c):
    return auth_section(c, {"www_authenticate_uri": c.state["keystone_url"]})


def notify(c):
    return {"driver": "messagingv2", "transport_url": c.state["transport_url"]}


def keystone(c):
    conf = c.path("keystone", "keystone.conf")
    write(
        conf,
        ini(
            {
                "DEFAULT": {"notification_format": "cadf", "transport_url": c.state["transport_url"]},
                "database": {"connection": "sqlite:///" + c.path("keystone", "keystone.db")},
                "fernet_tokens": {"key_repository": c.path("keystone", "fernet-keys")},
                "credential": {"key_repository": c.path("keystone", "credential-keys")},
                "oslo_messaging_notifications": notify(c),
            }
        ),
    )
    lg = c.path("log", "keystone-manage.log")
    manage = ["keystone-manage", "--config-file", conf]
    run(manage + ["db_sync"], lg)
    wal(c.path("keystone", "keystone.db"))
    run(manage + ["fernet_setup", "--keystone-user", "root", "--keystone-group", "root"], lg)
    run(manage + ["credential_setup", "--keystone-user", "root", "--keystone-group", "root"], lg)
    run(
        manage
        + [
            "bootstrap",
            "--bootstrap-password",
            c.state["password"],
            "--bootstrap-region-id",
            "RegionOne",
            "--bootstrap-public-url",
            c.state["keystone_url"],
            "--bootstrap-internal-url",
            c.state["keystone_url"],
        ],
        lg,
    )
    c.start("keystone", [PY, os.path.join(HERE, "wsgi_serve.py"), "keystone", str(c.state["ports"]["keystone"])], {"OS_KEYSTONE_CONFIG_FILES": conf})
    c.wait_http("keystone", c.state["keystone_url"])


def sdk(c):
    import openstack

    return openstack.connect(
        auth_url=c.state["keystone_url"],
        username="admin",
        password=c.state["password"],
        project_name="admin",
        user_domain_name="Default",
        project_domain_name="Default",
        region_name="RegionOne",
        identity_api_version="3",
        # Not a clouds.yaml or OS_* variables of an earlier cloud.
        load_yaml_config=False,
        load_envvars=False,
    )


def catalog(c, services):
    conn = sdk(c)
    entries = {
        "placement": ("placement", "placement", "http://127.0.0.1:%d" % c.state["ports"]["placement"]),
        "glance": ("glance", "image", "http://127.0.0.1:%d" % c.state["ports"]["glance"]),
        "neutron": ("neutron", "network", "http://127.0.0.1:%d" % c.state["ports"]["neutron"]),
        "nova": ("nova", "compute", "http://127.0.0.1:%d/v2.1" % c.state["ports"]["nova"]),
        "heat": ("heat", "orchestration", "http://127.0.0.1:%d/v1/%%(tenant_id)s" % c.state["ports"]["heat"]),
    }
    for svc in services:
        if svc not in entries:
            continue
        name, kind, url = entries[svc]
        s = conn.identity.create_service(name=name, type=kind)
        for iface in ("public", "internal"):
            conn.identity.create_endpoint(service_id=s.id, interface=iface, url=url, region_id="RegionOne")


def placement(c):
    d = c.path("placement")
    write(
        os.path.join(d, "placement.conf"),
        ini(
            {
                "DEFAULT": {},
                "api": {"auth_strategy": "keystone"},
                "placement_database": {"connection": "sqlite:///" + os.path.join(d, "placement.db")},
                "keystone_authtoken": authtoken(c),
            }
        ),
    )
    env = dict(os.environ, OS_PLACEMENT_CONFIG_DIR=d)
    run(["placement-manage", "--config-file", os.path.join(d, "placement.conf"), "db", "sync"], c.path("log", "placement-manage.log"), env=env)
    wal(os.path.join(d, "placement.db"))
    c.start("placement", [PY, os.path.join(HERE, "wsgi_serve.py"), "placement", str(c.state["ports"]["placement"])], {"OS_PLACEMENT_CONFIG_DIR": d})
    c.wait_http("placement", "http://127.0.0.1:%d/" % c.state["ports"]["placement"])


def glance(c):
    d = c.path("glance")
    conf = os.path.join(d, "glance-api.conf")
    write(
        conf,
        ini(
            {
                "DEFAULT": {
                    "bind_host": "127.0.0.1",
                    "bind_port": c.state["ports"]["glance"],
                    "workers": 1,
                    "transport_url": c.state["transport_url"],
                    "image_cache_dir": os.path.join(d, "cache"),
                },
                "database": {"connection": "sqlite:///" + os.path.join(d, "glance.db")},
                "glance_store": {"stores": "file", "default_store": "file", "filesystem_store_datadir": os.path.join(d, "images")},
                "paste_deploy": {"flavor": "keystone", "config_file": os.path.join(HERE, "glance-api-paste.ini")},
                "keystone_authtoken": authtoken(c),
                "oslo_messaging_notifications": notify(c),
                "oslo_concurrency": {"lock_path": os.path.join(d, "lock")},
            }
        ),
    )
    run(module_cmd("glance.cmd.manage", "glance-manage", "--config-file", conf, "db_sync"), c.path("log", "glance-manage.log"))
    wal(os.path.join(d, "glance.db"))
    c.start("glance-api", module_cmd("glance.cmd.api", "glance-api", "--config-file", conf))
    c.wait_http("glance-api", "http://127.0.0.1:%d/" % c.state["ports"]["glance"])


def neutron(c):
    d = c.path("neutron")
    conf = os.path.join(d, "neutron.conf")
    write(
        conf,
        ini(
            {
                "DEFAULT": {
                    "bind_host": "127.0.0.1",
                    "bind_port": c.state["ports"]["neutron"],
                    "core_plugin": "ml2",
                    "service_plugins": "",
                    "auth_strategy": "keystone",
                    "api_workers": 1,
                    "rpc_workers": 0,
                    "rpc_state_report_workers": 0,
                    "api_paste_config": "/usr/lib/python3/dist-packages/neutron/tests/etc/api-paste.ini",
                    "transport_url": c.state["transport_url"],
                    "notify_nova_on_port_status_changes": "false",
                    "notify_nova_on_port_data_changes": "false",
                    "state_path": d,
                },
                "database": {"connection": "sqlite:///" + os.path.join(d, "neutron.db")},
                "ml2": {"type_drivers": "flat,vxlan", "tenant_network_types": "vxlan", "mechanism_drivers": "", "extension_drivers": "port_security"},
                "ml2_type_vxlan": {"vni_ranges": "1:1000"},
                "ml2_type_flat": {"flat_networks": "*"},
                "keystone_authtoken": authtoken(c),
                "oslo_messaging_notifications": notify(c),
                "oslo_concurrency": {"lock_path": os.path.join(d, "lock")},
            }
        ),
    )
    # neutron-db-manage is not in python3-neutron and its migrations need MySQL: the
    # schema comes from the models (as Neutron's own unit tests make it on SQLite).
    code = (
        "import sqlalchemy; from neutron.db.migration.models import head; "
        "e = sqlalchemy.create_engine(%r); head.get_metadata().create_all(e)" % ("sqlite:///" + os.path.join(d, "neutron.db"))
    )
    run([PY, "-c", code], c.path("log", "neutron-db.log"))
    wal(os.path.join(d, "neutron.db"))
    c.start("neutron-server", module_cmd("neutron.cmd.eventlet.server", "neutron-server", "--config-file", conf))
    c.wait_http("neutron-server", "http://127.0.0.1:%d/" % c.state["ports"]["neutron"])


def mariadb(c):
    """MariaDB for Nova: its five processes write the same cells at once, and on SQLite
    eventlet's green threads wait on each other's file lock inside one process (the busy
    handler blocks the hub), so builds failed with "database is locked"."""
    d = c.path("mysql")
    os.makedirs(d, exist_ok=True)
    run(["mysql_install_db", "--no-defaults", "--datadir=" + os.path.join(d, "data"), "--user=root", "--skip-test-db", "--auth-root-authentication-method=socket"], c.path("log", "mysql-install.log"))
    sock = os.path.join(d, "mysqld.sock")
    c.start(
        "mariadb",
        [
            "/usr/sbin/mariadbd",
            "--no-defaults",
            "--user=root",
            "--datadir=" + os.path.join(d, "data"),
            "--socket=" + sock,
            "--port=%d" % c.state["ports"]["mariadb"],
            "--bind-address=127.0.0.1",
            "--pid-file=" + os.path.join(d, "mysqld.pid"),
            "--skip-log-bin",
            "--innodb-buffer-pool-size=64M",
            "--max-connections=200",
            "--character-set-server=utf8mb4",
        ],
    )
    deadline = time.time() + 120
    while not os.path.exists(sock):
        if not c.alive("mariadb") or time.time() > deadline:
            fail("mariadb did not start (see %s)" % c.path("log", "mariadb.log"))
        time.sleep(0.3)
    sql = "".join("CREATE DATABASE %s CHARACTER SET utf8mb4;" % db for db in ("nova_api", "nova", "nova_cell0"))
    sql += "CREATE USER 'osne'@'127.0.0.1' IDENTIFIED BY '%s'; GRANT ALL ON *.* TO 'osne'@'127.0.0.1';" % c.state["password"]
    for _ in range(60):
        r = subprocess.run(["mysql", "--no-defaults", "-S", sock, "-u", "root", "-e", sql], capture_output=True, text=True)
        if r.returncode == 0:
            return
        time.sleep(0.5)
    fail("mariadb refused the databases: %s" % r.stderr.strip())


def mysql_url(c, db):
    return "mysql+pymysql://osne:%s@127.0.0.1:%d/%s?charset=utf8" % (c.state["password"], c.state["ports"]["mariadb"], db)


def nova_conf(c, fmt):
    d = c.path("nova")
    common = ini(
        {
            "DEFAULT": {
                "state_path": d,
                "transport_url": c.state["transport_url"],
                "compute_driver": "fake.SmallFakeDriver",
                "my_ip": "127.0.0.1",
                "osapi_compute_listen": "127.0.0.1",
                "osapi_compute_listen_port": c.state["ports"]["nova"],
                "osapi_compute_workers": 1,
                "metadata_workers": 1,
                "instance_usage_audit": "True",
                "instance_usage_audit_period": "hour",
                "heal_instance_info_cache_interval": -1,
            },
            "api": {"auth_strategy": "keystone"},
            "wsgi": {"api_paste_config": os.path.join(HERE, "nova-api-paste.ini")},
            "api_database": {"connection": mysql_url(c, "nova_api")},
            "database": {"connection": mysql_url(c, "nova")},
            "conductor": {"workers": 1},
            "scheduler": {"workers": 1, "discover_hosts_in_cells_interval": -1},
            "keystone_authtoken": authtoken(c),
            "placement": auth_section(c),
            "neutron": auth_section(c),
            "glance": {"region_name": "RegionOne"},
            "cinder": {"os_region_name": "RegionOne"},
            "service_user": auth_section(c, {"send_service_user_token": "false"}),
            "oslo_messaging_notifications": notify(c),
            "notifications": {"notification_format": fmt, "notify_on_state_change": "vm_and_task_state"},
            "oslo_concurrency": {"lock_path": os.path.join(d, "lock")},
            "vnc": {"enabled": "false"},
            "os_vif_ovs": {},
        }
    )
    write(os.path.join(d, "nova.conf"), common)
    for host in COMPUTE_HOSTS:
        write(os.path.join(d, host + ".conf"), ini({"DEFAULT": {"host": host}}))


NOVA_PROCS = {
    "nova-conductor": ("nova.cmd.conductor", None),
    "nova-scheduler": ("nova.cmd.scheduler", None),
    "nova-api": ("nova.cmd.api_os_compute", None),
    "nova-compute-compute1": ("nova.cmd.compute", "compute1"),
    "nova-compute-compute2": ("nova.cmd.compute", "compute2"),
}


def nova_manage(c, *args):
    conf = c.path("nova", "nova.conf")
    run(module_cmd("nova.cmd.manage", "nova-manage", "--config-file", conf, *args), c.path("log", "nova-manage.log"))


def nova_start(c):
    conf = c.path("nova", "nova.conf")
    for name, (module, host) in NOVA_PROCS.items():
        args = ["--config-file", conf]
        if host:
            args += ["--config-file", c.path("nova", host + ".conf")]
        c.start(name, module_cmd(module, name.rsplit("-", 1)[0] if host else name, *args))
    c.wait_http("nova-api", "http://127.0.0.1:%d/" % c.state["ports"]["nova"])
    conn = sdk(c)
    deadline = time.time() + 240
    while True:
        for name in NOVA_PROCS:
            if not c.alive(name):
                fail("%s exited at start (see %s)" % (name, c.path("log", name + ".log")))
        up = {s.host for s in conn.compute.services() if s.binary == "nova-compute" and s.state == "up"}
        if up >= set(COMPUTE_HOSTS):
            break
        if time.time() > deadline:
            fail("nova-compute hosts %s did not report up within 240 s" % sorted(set(COMPUTE_HOSTS) - up))
        time.sleep(1)
    nova_manage(c, "cell_v2", "discover_hosts")
    # The hypervisors must be in placement before a server can be scheduled there.
    deadline = time.time() + 120
    while len(list(conn.placement.resource_providers())) < len(COMPUTE_HOSTS):
        if time.time() > deadline:
            fail("the compute hosts did not register in placement within 120 s")
        time.sleep(1)


def nova(c, fmt):
    mariadb(c)
    nova_conf(c, fmt)
    nova_manage(c, "api_db", "sync")
    nova_manage(c, "cell_v2", "map_cell0", "--database_connection", mysql_url(c, "nova_cell0"))
    nova_manage(c, "cell_v2", "create_cell", "--name", "cell1")
    nova_manage(c, "db", "sync")
    nova_start(c)
    conn = sdk(c)
    # Flavors the test uses: two that fit a host and one no host can take (NoValidHost).
    conn.compute.create_flavor(name="m1.nano", ram=128, vcpus=1, disk=1, id="1")
    conn.compute.create_flavor(name="m1.micro", ram=256, vcpus=1, disk=1, id="2")
    conn.compute.create_flavor(name="m1.huge", ram=1024 * 1024, vcpus=64, disk=1, id="3")
    # Without this the API refuses m1.huge itself (403 over quota) and the scheduler never sees it.
    conn.set_compute_quotas("admin", cores=-1, ram=-1, instances=-1)


def nova_reformat(c, fmt):
    """Restart Nova's services with another notification_format, the rest left running."""
    c.stop(*NOVA_PROCS)
    nova_conf(c, fmt)
    c.state["nova_format"] = fmt
    c.save()
    nova_start(c)


def heat(c):
    d = c.path("heat")
    conf = os.path.join(d, "heat.conf")
    write(
        conf,
        ini(
            {
                "DEFAULT": {
                    "transport_url": c.state["transport_url"],
                    "num_engine_workers": 1,
                    "deferred_auth_method": "password",
                    "stack_user_domain_name": "Default",
                    "stack_domain_admin": "admin",
                    "stack_domain_admin_password": c.state["password"],
                    "host": "heat1",
                },
                "heat_api": {"bind_host": "127.0.0.1", "bind_port": c.state["ports"]["heat"], "workers": 1},
                "database": {"connection": "sqlite:///" + os.path.join(d, "heat.db")},
                "paste_deploy": {"api_paste_config": os.path.join(HERE, "heat-api-paste.ini")},
                "keystone_authtoken": authtoken(c),
                "trustee": auth_section(c),
                "clients_keystone": {"auth_uri": c.state["keystone_url"]},
                "oslo_messaging_notifications": notify(c),
                "oslo_concurrency": {"lock_path": os.path.join(d, "lock")},
            }
        ),
    )
    run(module_cmd("heat.cmd.manage", "heat-manage", "--config-file", conf, "db_sync"), c.path("log", "heat-manage.log"))
    wal(os.path.join(d, "heat.db"))
    c.start("heat-engine", module_cmd("heat.cmd.engine", "heat-engine", "--config-file", conf))
    c.start("heat-api", module_cmd("heat.cmd.api", "heat-api", "--config-file", conf))
    c.wait_http("heat-api", "http://127.0.0.1:%d/" % c.state["ports"]["heat"])


def tiny_image(c):
    conn = sdk(c)
    conn.image.create_image(name="tiny", data=b"\0" * 1024, disk_format="raw", container_format="bare", visibility="public", wait=True)


def clouds_yaml(c, where):
    text = (
        "# Written by scripts/openstack-up: the local cloud's admin (openstack --os-cloud osne ...)\n"
        "clouds:\n"
        "  osne:\n"
        "    auth:\n"
        "      auth_url: %s\n"
        "      username: admin\n"
        "      password: %s\n"
        "      project_name: admin\n"
        "      user_domain_name: Default\n"
        "      project_domain_name: Default\n"
        "    region_name: RegionOne\n"
        "    identity_api_version: 3\n"
        "    interface: public\n" % (c.state["keystone_url"], c.state["password"])
    )
    path = os.path.join(where, "clouds.yaml")
    write(path, text)
    os.chmod(path, 0o600)


def rabbitmqctl(*args):
    r = subprocess.run(["rabbitmqctl", "-q", *args], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        fail("rabbitmqctl %s: %s" % (" ".join(args), (r.stderr or r.stdout).strip().splitlines()[-1:]))


def up(args):
    c = Cloud(args.dir)
    if c.state.get("pids") and any(c.alive(n) for n in c.state["pids"]):
        if args.nova_format != c.state.get("nova_format"):
            nova_reformat(c, args.nova_format)
        print(c.state["amqp_url"])
        return
    started = time.time()
    services = [s for s in SERVICES if s in args.services.split(",")] if args.services else list(SERVICES)
    for need in ("keystone", "placement", "glance", "neutron"):
        if "nova" in services and need not in services:
            fail("nova needs %s in --services" % need)
    ports = {s: free_port() for s in ("keystone", "placement", "glance", "neutron", "nova", "heat", "mariadb")}
    vhost = args.vhost
    c.state = {
        "ports": ports,
        "password": secrets.token_hex(12),
        "vhost": vhost,
        "keystone_url": "http://127.0.0.1:%d/v3" % ports["keystone"],
        "transport_url": "rabbit://guest:guest@%s/%s" % (args.amqp_host, vhost),
        "amqp_url": "amqp://guest:guest@%s/%s" % (args.amqp_host, vhost),
        "nova_format": args.nova_format,
        "services": services,
        "pids": {},
    }
    os.makedirs(c.dir, exist_ok=True)
    c.save()
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    timings = {}

    def step(name, fn, *a):
        t = time.time()
        log("starting %s" % name)
        fn(*a)
        timings[name] = round(time.time() - t, 1)

    step("keystone", keystone, c)
    step("catalog", catalog, c, services)
    if "placement" in services:
        step("placement", placement, c)
    if "glance" in services:
        step("glance", glance, c)
        step("image", tiny_image, c)
    if "neutron" in services:
        step("neutron", neutron, c)
    if "heat" in services:
        step("heat", heat, c)
    if "nova" in services:
        step("nova", nova, c, args.nova_format)
    c.state["timings"] = timings
    c.state["start_seconds"] = round(time.time() - started, 1)
    c.save()
    clouds_yaml(c, os.getcwd())
    log("up in %.0f s (%s); clouds.yaml written; state in %s" % (time.time() - started, ", ".join("%s %ss" % kv for kv in timings.items()), c.dir))
    print(c.state["amqp_url"])


def down(args):
    c = Cloud(args.dir)
    # Nova's services before their database, the rest together.
    names = list(c.state.get("pids", {}))
    c.stop(*[n for n in names if n.startswith("nova-")])
    c.stop(*[n for n in names if not n.startswith("nova-")])
    if c.state.get("vhost"):
        subprocess.run(["rabbitmqctl", "-q", "delete_vhost", c.state["vhost"]], capture_output=True, timeout=120)
    if not args.keep and os.path.isdir(c.dir):
        shutil.rmtree(c.dir)


def main():
    p = argparse.ArgumentParser(prog="openstack-up")
    p.add_argument("command", choices=("up", "down"))
    p.add_argument("--dir", default=os.environ.get("OSNE_CLOUD_DIR", os.path.join(os.getcwd(), "osne-cloud")))
    p.add_argument("--vhost", default=os.environ.get("OSNE_CLOUD_VHOST", "osne-cloud"))
    p.add_argument("--amqp-host", default="127.0.0.1:5672")
    p.add_argument("--nova-format", default=os.environ.get("OSNE_NOVA_FORMAT", "unversioned"), choices=NOVA_FORMATS)
    p.add_argument("--services", default=os.environ.get("OSNE_CLOUD_SERVICES", ""))
    p.add_argument("--keep", action="store_true", help="down: keep the state directory (logs)")
    args = p.parse_args()
    up(args) if args.command == "up" else down(args)


if __name__ == "__main__":
    main()
