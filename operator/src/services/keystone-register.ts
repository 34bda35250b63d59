// The Keystone registration program the registration Jobs run in kolla-toolbox: one Python process with openstacksdk
// instead of a dozen `openstack` CLI calls (each one starts Python and re-authenticates: 5-10 s apiece on a busy
// node, so a service's registration took minutes). It is idempotent and safe to run concurrently with the other
// services' registrations: a create that loses a race (HTTP 409) finds the winner's object.

/** What one registration Job ensures, written as JSON next to the program. */
export interface Registration {
  /** Keystone region of the endpoints (created when missing). */
  region: string;
  /** A service user with roles in a project; its password comes from $SERVICE_PASSWORD. */
  user?: { name: string; project: string; roles: string[] };
  /** Services and their endpoints by interface. */
  services: { name: string; type: string; description: string; endpoints: Record<string, string> }[];
}

/** The program (python3, openstacksdk; the OS_* environment authenticates as the cloud admin). */
export const REGISTER_PY = `#!/usr/bin/python3
"""Ensures a Keystone registration: region, service user (password from $SERVICE_PASSWORD, roles in a project),
services and endpoints. Usage: register.py REGISTRATION.json. Idempotent; concurrent runs are safe."""
import json
import os
import sys

import openstack
from openstack import exceptions


def log(msg):
    print(msg, flush=True)


def ensure(what, find, create):
    """The object find() returns, else the one create() makes; after a lost create race, the winner's."""
    found = find()
    if found is not None:
        return found
    try:
        made = create()
        log(f"created {what}")
        return made
    except exceptions.ConflictException:
        found = find()
        if found is None:
            raise
        log(f"{what} was created concurrently")
        return found


def main(path):
    with open(path, encoding="utf-8") as f:
        spec = json.load(f)
    identity = openstack.connect().identity
    region = spec["region"]
    ensure(f"region {region}", lambda: identity.find_region(region), lambda: identity.create_region(id=region))

    user = spec.get("user")
    if user:
        password = os.environ["SERVICE_PASSWORD"]
        project = ensure(
            f"project {user['project']}",
            lambda: identity.find_project(user["project"], domain_id="default"),
            lambda: identity.create_project(name=user["project"], domain_id="default"),
        )
        found = identity.find_user(user["name"], domain_id="default")
        if found is None:
            found = ensure(
                f"user {user['name']}",
                lambda: identity.find_user(user["name"], domain_id="default"),
                lambda: identity.create_user(name=user["name"], domain_id="default", password=password),
            )
        identity.update_user(found, password=password)
        for name in user["roles"]:
            role = identity.find_role(name)
            if role is None:
                log(f"role {name} does not exist: not assigned")
                continue
            identity.assign_project_role_to_user(project, found, role)
        log(f"user {user['name']}: password set, roles {', '.join(user['roles'])} in project {user['project']}")

    for svc in spec.get("services", []):
        service = ensure(
            f"service {svc['type']}",
            lambda: next(iter(identity.services(type=svc["type"])), None),
            lambda: identity.create_service(
                name=svc["name"], type=svc["type"], description=svc["description"], is_enabled=True
            ),
        )
        for interface, url in sorted(svc["endpoints"].items()):
            existing = list(identity.endpoints(service_id=service.id, interface=interface, region_id=region))
            if not existing:
                identity.create_endpoint(service_id=service.id, interface=interface, url=url, region_id=region)
                log(f"endpoint {svc['type']} {interface} {region}: created {url}")
                continue
            if existing[0].url != url:
                identity.update_endpoint(existing[0], url=url)
                log(f"endpoint {svc['type']} {interface} {region}: {existing[0].url} -> {url}")
            for extra in existing[1:]:
                identity.delete_endpoint(extra)
                log(f"endpoint {svc['type']} {interface} {region}: duplicate {extra.id} deleted")


if __name__ == "__main__":
    main(sys.argv[1])
`;
