"""The writing benchmark's workload: who takes part, what each request is, the open-loop schedule, the
generator process and the statistics (bench/writing_bench.py drives it; see its docstring).

The generator runs as its own process (`python bench/writing_workload.py PLAN RESULT`) so that its
CPU time is not the server's and its event loop only sends, receives and timestamps:

- before the timed part it signs every account in through `POST /auth/v1/token` (real tokens);
- then it sends request i at `start + offset_i` (offsets fixed in advance: `rate` per second, evenly
  spaced) whether or not earlier requests have been answered — open loop. Latency is measured from the
  *scheduled* send time, so a stalled server shows up as latency instead of as fewer requests
  (no coordinated omission). How far each send fell behind its schedule is recorded too: if the
  generator itself cannot keep up, that lag says so.

The schedule is coherent by construction: a student saves drafts only of their own open work
(not_started, in_progress or returned submissions of published assignments that still accept work), each
draft long enough for the assignment's minWords..maxWords, and submits a piece of work only once, at
least SUBMIT_AFTER seconds after its last scheduled draft, and never drafts it again afterwards.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psycopg

OPERATIONS = ("my_courses", "open_assignment", "save_draft", "submit", "notifications", "search_templates")
# Share of requests per operation (a writing session saves often and submits rarely).
MIX = {
    "my_courses": 15,
    "open_assignment": 25,
    "save_draft": 25,
    "submit": 5,
    "notifications": 20,
    "search_templates": 10,
}
EDUCATOR_SHARE = 0.3  # of my_courses and notifications; search_templates is always an educator's
SUBMIT_AFTER = 2.0  # seconds between a work's last scheduled draft and its submission
SEARCHES = (
    "persuasive essay", "argument -poetry", '"lab report" or science', "research evidence", "narrative",
    "climate", "literary analysis", "reflection", "policy brief", "compare contrast",
)  # fmt: skip
WORDS = (
    "evidence", "argument", "thesis", "the", "city", "students", "writing", "because", "data", "shows", "that",
    "climate", "policy", "history", "reader", "claim", "source", "however", "therefore", "we", "analysis", "is",
)  # fmt: skip


@dataclass(frozen=True)
class Account:
    user_id: str
    email: str
    role: str


@dataclass(frozen=True)
class Work:
    """A student's open submission that may be drafted and submitted."""

    submission_id: str
    assignment_id: str
    student: int  # index into Cast.students
    min_words: int
    max_words: int


@dataclass
class Cast:
    students: list[Account]
    educators: list[Account]
    works: list[Work]
    password: str


@dataclass(frozen=True)
class Request:
    offset: float  # seconds after the start of the run
    operation: str
    account: int  # index into Plan.accounts
    method: str
    path: str
    body: dict[str, Any] | None = None


@dataclass
class Plan:
    base_url: str
    accounts: list[Account]
    password: str
    requests: list[Request]
    warmup: float  # requests scheduled before this offset are not counted
    duration: float
    connections: int
    timeout: float


@dataclass
class Sample:
    operation: str
    scheduled: float  # offset
    lag: float  # seconds the send started behind its schedule
    latency: float  # seconds from the scheduled send to the end of the response
    status: int  # 0: no response (connection error, timeout)
    error: str = ""


@dataclass
class Outcome:
    samples: list[Sample] = field(default_factory=list)
    sign_in_seconds: float = 0.0
    max_in_flight: int = 0
    generator_cpu_s: float = 0.0


# -- who takes part --------------------------------------------------------------------------------
OPEN_WORK = """
select s.id::text, s.assignment_id::text, s.author_id::text, u.email,
       coalesce(case when jsonb_typeof(a.requirements -> 'minWords') = 'number'
                     then (a.requirements ->> 'minWords')::numeric::integer end, 0),
       coalesce(case when jsonb_typeof(a.requirements -> 'maxWords') = 'number'
                     then (a.requirements ->> 'maxWords')::numeric::integer end, 100000)
  from app.assignment_submissions s
  join app.assignments a on a.id = s.assignment_id
  join app.course_enrollments e on e.course_id = a.course_id and e.student_id = s.author_id and e.status = 'active'
  join auth.users u on u.id = s.author_id
 where s.status in ('not_started', 'in_progress', 'returned')
   and a.status in ('published', 'in_progress')
   and (a.due_at > now() + %(margin)s * interval '1 second' or a.allow_late_submissions)
   and not exists (select from app.submission_collaborators c where c.submission_id = s.id)
 order by s.author_id, s.id
"""
EDUCATORS = """
select p.user_id::text, u.email
  from app.profiles p join auth.users u on u.id = p.user_id
 where p.role = 'educator' and exists (select from app.courses c where c.instructor_id = p.user_id)
 order by md5(p.user_id::text)
 limit %(n)s
"""


def choose_cast(conn: psycopg.Connection, students: int, educators: int, password: str, margin: float) -> Cast:
    """The students with the most open work (up to `students`), their work, and `educators` educators."""
    by_student: dict[str, list[tuple]] = {}
    emails: dict[str, str] = {}
    for sid, aid, author, email, low, high in conn.execute(OPEN_WORK, {"margin": margin}):
        by_student.setdefault(author, []).append((sid, aid, low, high))
        emails[author] = email
    ranked = sorted(by_student, key=lambda a: (-len(by_student[a]), a))[:students]
    cast = Cast([], [], [], password)
    for index, author in enumerate(ranked):
        cast.students.append(Account(author, emails[author], "student"))
        for sid, aid, low, high in by_student[author]:
            low = max(low, 20)
            cast.works.append(Work(sid, aid, index, low, max(low, min(high, low * 2))))
    for user_id, email in conn.execute(EDUCATORS, {"n": educators}):
        cast.educators.append(Account(user_id, email, "educator"))
    return cast


# -- the schedule ----------------------------------------------------------------------------------
def build_plan(
    cast: Cast,
    base_url: str,
    rate: float,
    duration: float,
    warmup: float,
    seed: int = 7,
    connections: int = 512,
    timeout: float = 10.0,
    mix: dict[str, float] | None = None,
) -> Plan:
    """Every request of the run, at evenly spaced offsets, with the operation drawn by `mix` (default MIX)."""
    if not cast.students or not cast.educators or not cast.works:
        raise ValueError("the demo has no students with open work or no educators: nothing to benchmark")
    rng = random.Random(seed)
    accounts = cast.students + cast.educators
    first_educator = len(cast.students)
    mix = mix or MIX
    names, weights = list(mix), list(mix.values())
    by_student: dict[int, list[int]] = {}
    for w, work in enumerate(cast.works):
        by_student.setdefault(work.student, []).append(w)
    open_works = list(range(len(cast.works)))  # neither submitted nor about to be
    position = {w: w for w in open_works}
    last_draft: dict[int, float] = {}
    drafted: list[int] = []  # works with a draft, in order of their first draft
    requests: list[Request] = []
    total = int((warmup + duration) * rate)
    for i in range(total):
        offset = i / rate
        operation = rng.choices(names, weights)[0]
        if operation == "submit":
            ready = [w for w in drafted if w in position and last_draft[w] <= offset - SUBMIT_AFTER]
            if not ready:
                operation = "save_draft"  # (only at the very start: nothing drafted long enough ago yet)
            else:
                w = ready[rng.randrange(len(ready))]
                _remove(open_works, position, w)
                work = cast.works[w]
                requests.append(
                    Request(offset, "submit", work.student, "POST", "/rpc/submit_submission",
                            {"submission_id": work.submission_id})
                )  # fmt: skip
                continue
        if operation == "save_draft":
            if not open_works:
                raise ValueError("every open submission was submitted: use fewer requests or more --students")
            w = open_works[rng.randrange(len(open_works))]
            work = cast.works[w]
            if w not in last_draft:
                drafted.append(w)
            last_draft[w] = offset
            body = {"submission_id": work.submission_id, "content": _essay(rng, work)}
            requests.append(Request(offset, "save_draft", work.student, "POST", "/rpc/save_draft", body))
            continue
        educator = operation == "search_templates" or (
            operation in ("my_courses", "notifications") and rng.random() < EDUCATOR_SHARE
        )
        if educator:
            e = first_educator + rng.randrange(len(cast.educators))
            requests.append(_educator_request(rng, offset, operation, e, accounts[e]))
        else:
            student = rng.randrange(len(cast.students))
            works = by_student[student]
            requests.append(_student_request(offset, operation, student, cast.works[works[rng.randrange(len(works))]]))
        drafted = [w for w in drafted if w in position] if i % 1000 == 0 else drafted
    return Plan(base_url, accounts, cast.password, requests, warmup, duration, connections, timeout)


def _remove(items: list[int], position: dict[int, int], value: int) -> None:
    """O(1) removal from an unordered list with an index of positions."""
    at, last = position.pop(value), items.pop()
    if last != value:
        items[at] = last
        position[last] = at


def _essay(rng: random.Random, work: Work) -> str:
    words = rng.randint(work.min_words, (work.min_words + work.max_words) // 2)
    return " ".join(rng.choice(WORDS) for _ in range(words)) + "."


def _student_request(offset: float, operation: str, student: int, work: Work) -> Request:
    if operation == "my_courses":
        path = (
            "/course_enrollments?select=status,enrolled_at,course:courses(id,title,subject,status,starts_on,ends_on)"
            "&status=eq.active"
        )
    elif operation == "open_assignment":
        path = (
            "/assignments?select=id,title,instructions,requirements,writing_stages,due_at,status,"
            f"submissions(id,status,word_count,updated_at)&id=eq.{work.assignment_id}"
        )
    else:  # notifications
        path = "/notifications?select=id,type,title,status,priority,created_at&order=created_at.desc&limit=20"
    return Request(offset, operation, student, "GET", path)


def _educator_request(rng: random.Random, offset: float, operation: str, index: int, account: Account) -> Request:
    if operation == "my_courses":
        path = (
            "/courses?select=id,title,subject,status,enrolled_count,max_students"
            f"&instructor_id=eq.{account.user_id}&order=starts_on.desc"
        )
    elif operation == "notifications":
        path = "/notifications?select=id,type,title,status,priority,created_at&order=created_at.desc&limit=20"
    else:
        from urllib.parse import quote

        path = f"/rpc/search_templates?query={quote(SEARCHES[rng.randrange(len(SEARCHES))])}"
    return Request(offset, operation, index, "GET", path)


# -- the generator (its own process) ---------------------------------------------------------------
async def _sign_in(session: Any, plan: Plan, concurrency: int = 8) -> list[str]:
    tokens: list[str] = [""] * len(plan.accounts)
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int, account: Account) -> None:
        async with (
            gate,
            session.post(
                f"{plan.base_url}/auth/v1/token?grant_type=password",
                json={"email": account.email, "password": plan.password},
            ) as response,
        ):
            body = await response.json(content_type=None)
            if response.status != 200:
                raise RuntimeError(f"sign-in of {account.email} failed: {response.status} {body}")
            tokens[i] = body["access_token"]

    await asyncio.gather(*(one(i, a) for i, a in enumerate(plan.accounts)))
    return tokens


async def _run(plan: Plan) -> Outcome:
    import aiohttp

    outcome = Outcome()
    connector = aiohttp.TCPConnector(limit=plan.connections, force_close=False)
    timeout = aiohttp.ClientTimeout(total=plan.timeout)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.perf_counter()
        tokens = await _sign_in(session, plan)
        outcome.sign_in_seconds = time.perf_counter() - started
        print("signed in", flush=True)  # the parent measures CPU time from here
        headers = [{"Authorization": f"Bearer {t}", "apikey": t, "Content-Type": "application/json"} for t in tokens]
        bodies = [json.dumps(r.body).encode() if r.body is not None else None for r in plan.requests]
        clock = time.perf_counter  # the loop's own clock (uvloop) counts whole milliseconds
        in_flight = 0

        async def send(request: Request, body: bytes | None, at: float, lag: float) -> None:
            nonlocal in_flight
            in_flight += 1
            outcome.max_in_flight = max(outcome.max_in_flight, in_flight)
            status, error = 0, ""
            try:
                async with session.request(
                    request.method, plan.base_url + request.path, data=body, headers=headers[request.account]
                ) as response:
                    payload = await response.read()
                    status = response.status
                    if not 200 <= status < 300:
                        error = payload[:300].decode(errors="replace")
            except (aiohttp.ClientError, TimeoutError) as failure:
                error = f"{type(failure).__name__}: {failure}"
            finally:
                in_flight -= 1
            outcome.samples.append(Sample(request.operation, request.offset, lag, clock() - at, status, error))

        cpu_before = time.process_time()
        start = clock() + 0.2
        tasks = []
        for request, body in zip(plan.requests, bodies, strict=True):
            at = start + request.offset
            delay = at - clock()
            if delay > 0:  # (uvloop's timers count whole milliseconds: a send may lag by up to ~1 ms)
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(send(request, body, at, max(0.0, clock() - at))))
        await asyncio.gather(*tasks)
        outcome.generator_cpu_s = time.process_time() - cpu_before
    return outcome


def generate(plan: Plan) -> Outcome:
    try:
        import uvloop

        return uvloop.run(_run(plan))
    except ImportError:
        return asyncio.run(_run(plan))


def write_plan(plan: Plan, path: Path) -> None:
    data = asdict(plan)
    data["requests"] = [[r.offset, r.operation, r.account, r.method, r.path, r.body] for r in plan.requests]
    path.write_text(json.dumps(data))


def read_plan(path: Path) -> Plan:
    data = json.loads(path.read_text())
    data["accounts"] = [Account(**a) for a in data["accounts"]]
    data["requests"] = [Request(*r) for r in data["requests"]]
    return Plan(**data)


def read_outcome(path: Path) -> Outcome:
    data = json.loads(path.read_text())
    data["samples"] = [Sample(*s) for s in data["samples"]]
    return Outcome(**data)


def main(argv: Sequence[str]) -> int:
    plan_path, result_path = Path(argv[0]), Path(argv[1])
    outcome = generate(read_plan(plan_path))
    data = asdict(outcome)
    data["samples"] = [[s.operation, s.scheduled, s.lag, s.latency, s.status, s.error] for s in outcome.samples]
    result_path.write_text(json.dumps(data))
    return 0


# -- statistics ------------------------------------------------------------------------------------
@dataclass
class Stats:
    operation: str
    count: int
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    rate: float  # responses per second over the measured window
    error_sample: list[str] = field(default_factory=list)


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list (0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), math.ceil(p / 100 * len(sorted_values))))
    return sorted_values[rank - 1]


def summarise(samples: Sequence[Sample], duration: float, name: str) -> Stats:
    latencies = sorted(s.latency * 1000 for s in samples)
    failed = [s for s in samples if not 200 <= s.status < 300]
    sample = [f"{s.status} {s.error}"[:300] for s in failed[:3]]
    return Stats(name, len(samples), len(failed), round(percentile(latencies, 50), 2),
                 round(percentile(latencies, 95), 2), round(percentile(latencies, 99), 2),
                 round(latencies[-1] if latencies else 0.0, 2), round(len(samples) / duration, 1), sample)  # fmt: skip


def measured(outcome: Outcome, warmup: float) -> list[Sample]:
    return [s for s in outcome.samples if s.scheduled >= warmup]


def statistics(outcome: Outcome, warmup: float, duration: float) -> list[Stats]:
    """Per operation (in OPERATIONS order), then `all`, over the requests scheduled after the warm-up."""
    counted = measured(outcome, warmup)
    rows = [summarise([s for s in counted if s.operation == op], duration, op) for op in OPERATIONS]
    return [*rows, summarise(counted, duration, "all")]


def lag_stats(outcome: Outcome, warmup: float) -> dict[str, float]:
    """How far sends fell behind their schedule (ms): the generator's own health."""
    lags = sorted(s.lag * 1000 for s in measured(outcome, warmup))
    return {"p50_ms": round(percentile(lags, 50), 2), "p99_ms": round(percentile(lags, 99), 2),
            "max_ms": round(lags[-1] if lags else 0.0, 2)}  # fmt: skip


def parse_mix(text: str) -> dict[str, float]:
    """`save_draft=3,submit=1` → {"save_draft": 3.0, "submit": 1.0} (for looking at some operations alone)."""
    mix = {}
    for item in text.split(","):
        name, _, weight = item.partition("=")
        if name.strip() not in OPERATIONS:
            raise ValueError(f"unknown operation {name!r} (one of {', '.join(OPERATIONS)})")
        mix[name.strip()] = float(weight or 1)
    return mix


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
