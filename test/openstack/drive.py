"""Drives the local cloud (scripts/openstack-up) through its real API with Debian's
openstacksdk, then prints one JSON document: what was done and the cloud's own records
(Nova's instance actions with their events, the server list, what Keystone refused).

usage: /usr/bin/python3 drive.py nova|services|cleanup  (cloud "osne" from ./clouds.yaml)
Progress goes to stderr; stdout holds only the JSON.
"""

import json
import sys
import time

import openstack
from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

WAIT = 300


def say(msg):
    print("drive: %s" % msg, file=sys.stderr, flush=True)


def wait_status(conn, server, status):
    return conn.compute.wait_for_server(server, status=status, failures=["ERROR"] if status != "ERROR" else [], wait=WAIT, interval=1)


def wait_task_idle(conn, server):
    """Until no task is in progress (a status can be reached before the task ends)."""
    deadline = time.time() + WAIT
    while True:
        s = conn.compute.get_server(server)
        if not s.task_state:
            return s
        if time.time() > deadline:
            raise RuntimeError("server %s still in task %s" % (s.id, s.task_state))
        time.sleep(1)


def boot(conn, name, flavor, host=None):
    image = conn.image.find_image("tiny", ignore_missing=False)
    kwargs = {"name": name, "flavor_id": flavor, "image_id": image.id, "networks": "none"}
    if host:
        kwargs["availability_zone"] = "nova:%s" % host  # admin: pin the host
    return conn.compute.create_server(**kwargs)


def records(conn, server_id):
    """os-instance-actions for one server: each action with its events (start, finish,
    result, host: microversion 2.62 adds the host)."""
    headers = {"OpenStack-API-Version": "compute 2.62"}
    actions = conn.compute.get("/servers/%s/os-instance-actions" % server_id, headers=headers).json()["instanceActions"]
    out = []
    for a in actions:
        full = conn.compute.get("/servers/%s/os-instance-actions/%s" % (server_id, a["request_id"]), headers=headers).json()["instanceAction"]
        out.append({k: full.get(k) for k in ("action", "request_id", "start_time", "updated_at", "message", "events")})
    return out


def server_list(conn):
    return [
        {"id": s.id, "name": s.name, "status": s.status, "vm_state": s.vm_state, "host": s.compute_host}
        for s in conn.compute.servers(all_projects=True)
    ]


def nova(conn):
    done = {}
    say("boot a on compute1, b on compute2")
    a = boot(conn, "osne-a", "1", "compute1")
    b = boot(conn, "osne-b", "1", "compute2")
    a = wait_status(conn, a, "ACTIVE")
    b = wait_status(conn, b, "ACTIVE")
    say("a: stop, start, reboot, resize + confirm")
    conn.compute.stop_server(a)
    wait_status(conn, a, "SHUTOFF")
    conn.compute.start_server(a)
    wait_status(conn, a, "ACTIVE")
    conn.compute.reboot_server(a, "SOFT")
    wait_status(conn, a, "ACTIVE")
    wait_task_idle(conn, a)
    conn.compute.resize_server(a, "2")
    wait_status(conn, a, "VERIFY_RESIZE")
    conn.compute.confirm_server_resize(a)
    wait_status(conn, a, "ACTIVE")
    wait_task_idle(conn, a)
    say("b: resize + revert, migrate + confirm, shelve, unshelve")
    conn.compute.resize_server(b, "2")
    wait_status(conn, b, "VERIFY_RESIZE")
    conn.compute.revert_server_resize(b)
    wait_status(conn, b, "ACTIVE")
    wait_task_idle(conn, b)
    conn.compute.migrate_server(b)
    wait_status(conn, b, "VERIFY_RESIZE")
    conn.compute.confirm_server_resize(b)
    wait_status(conn, b, "ACTIVE")
    wait_task_idle(conn, b)
    conn.compute.shelve_server(b)
    wait_status(conn, b, "SHELVED_OFFLOADED")
    wait_task_idle(conn, b)
    conn.compute.unshelve_server(b)
    wait_status(conn, b, "ACTIVE")
    wait_task_idle(conn, b)
    say("c: a flavor no host can take (NoValidHost)")
    c = boot(conn, "osne-c", "3")
    c = wait_status(conn, c, "ERROR")
    done["fault"] = conn.compute.get("/servers/%s" % c.id).json()["server"].get("fault")
    say("d: boot and delete")
    d = boot(conn, "osne-d", "1")
    d = wait_status(conn, d, "ACTIVE")
    conn.compute.delete_server(d)
    conn.compute.wait_for_delete(d, wait=WAIT)
    done["servers"] = server_list(conn)
    done["actions"] = {s.id: records(conn, s.id) for s in (a, b, c)}
    # A deleted server's actions are still there for an admin (read_deleted).
    done["actions"][d.id] = records(conn, d.id)
    done["hosts"] = {"osne-a": conn.compute.get_server(a).compute_host, "osne-b": conn.compute.get_server(b).compute_host}
    done["names"] = {a.id: "osne-a", b.id: "osne-b", c.id: "osne-c", d.id: "osne-d"}
    return done


def refusals(conn, n):
    """n logins with a wrong password: each refused with 401."""
    refused = 0
    for _ in range(n):
        auth = v3.Password(
            auth_url=conn.config.config["auth"]["auth_url"],
            username="admin",
            password="not-the-password",
            project_name="admin",
            user_domain_name="Default",
            project_domain_name="Default",
        )
        try:
            ks_session.Session(auth=auth).get_token()
        except ks_exc.Unauthorized:
            refused += 1
    return refused


def services(conn):
    done = {}
    say("keystone: 3 refused logins, 2 tokens")
    done["refused"] = refusals(conn, 3)
    for _ in range(2):
        openstack.connect(cloud="osne").auth_token
    done["tokens"] = 2
    say("glance: an image created, uploaded, deleted")
    img = conn.image.create_image(name="osne-img", data=b"\1" * 2048, disk_format="raw", container_format="bare", wait=True)
    conn.image.delete_image(img)
    done["images"] = {"created": 1, "deleted": 1}
    say("neutron: a network, a subnet, a port created and deleted")
    net = conn.network.create_network(name="osne-net")
    sub = conn.network.create_subnet(network_id=net.id, cidr="10.77.0.0/24", ip_version=4, name="osne-sub")
    port = conn.network.create_port(network_id=net.id, name="osne-port")
    conn.network.delete_port(port)
    conn.network.delete_subnet(sub)
    conn.network.delete_network(net)
    done["networks"] = {"created": 1, "deleted": 1}
    done["subnets"] = {"created": 1, "deleted": 1}
    done["ports"] = {"created": 1, "deleted": 1}
    say("heat: a stack of OS::Heat::RandomString and OS::Heat::None created and deleted")
    template = {
        "heat_template_version": "2018-08-31",
        "resources": {"secret": {"type": "OS::Heat::RandomString", "properties": {"length": 8}}, "nothing": {"type": "OS::Heat::None"}},
    }
    stack = conn.orchestration.create_stack(name="osne-stack", template=template)
    conn.orchestration.wait_for_status(stack, status="CREATE_COMPLETE", failures=["CREATE_FAILED"], wait=WAIT, interval=1)
    conn.orchestration.delete_stack(stack)
    conn.orchestration.wait_for_delete(stack, wait=WAIT, interval=1)
    done["stacks"] = {"created": 1, "deleted": 1}
    return done


def cleanup(conn):
    """Deletes every server, so that a later run's server list is its own."""
    servers = list(conn.compute.servers(all_projects=True))
    for s in servers:
        conn.compute.delete_server(s)
    for s in servers:
        conn.compute.wait_for_delete(s, wait=WAIT)
    return {"deleted": len(servers)}


def main():
    conn = openstack.connect(cloud="osne")
    out = {"nova": nova, "services": services, "cleanup": cleanup}[sys.argv[1]](conn)
    json.dump(out, sys.stdout, default=str, indent=1)


if __name__ == "__main__":
    main()
