"""The transition table of the pay flow: every edge the machine may take.

``PayFlow`` refuses (AssertionError) any move that is not listed here, so this
table and the Graphviz diagram drawn from it cannot drift from the code.
"""

from __future__ import annotations

from kiosk.flow.states import State

S = State

# from-state → ((label, to-state), ...)
TRANSITIONS: dict[State, tuple[tuple[str, State], ...]] = {
    S.ATTRACT: (
        ("start", S.CHOOSE_SERVICE),
        ("account card", S.LOOKING_UP),
        ("account card, service off", S.CHOOSE_SERVICE),
        ("out of service", S.OUT_OF_SERVICE),
        ("maintenance", S.MAINTENANCE),
        ("timeout: health check", S.ATTRACT),
    ),
    S.CHOOSE_SERVICE: (
        ("service chosen", S.IDENTIFY),
        ("back / cancel", S.CANCELLED),
        ("timeout", S.ARE_YOU_THERE),
    ),
    S.IDENTIFY: (
        ("account / card / phone code", S.LOOKING_UP),
        ("back", S.CHOOSE_SERVICE),
        ("cancel", S.CANCELLED),
        ("timeout", S.ARE_YOU_THERE),
    ),
    S.LOOKING_UP: (
        ("bill found", S.BILL_SHOWN),
        ("not found / failed / timeout", S.IDENTIFY),
        ("cancel", S.CANCELLED),
    ),
    S.BILL_SHOWN: (
        ("amount chosen", S.CHOOSE_METHOD),
        ("back", S.IDENTIFY),
        ("cancel", S.CANCELLED),
        ("timeout", S.ARE_YOU_THERE),
    ),
    S.CHOOSE_METHOD: (
        ("cash", S.CASH_INSERTING),
        ("card", S.CARD_PAYING),
        ("wechat / alipay / unionpay", S.QR_WAITING),
        ("back", S.BILL_SHOWN),
        ("cancel", S.CANCELLED),
        ("timeout", S.ARE_YOU_THERE),
    ),
    S.CASH_INSERTING: (
        ("paid in full / finish", S.COMPLETING),
        ("back, nothing inserted", S.CHOOSE_METHOD),
        ("cancel: credit or voucher", S.CANCELLED),
        ("acceptor fault: credit or voucher", S.CANCELLED),
        ("timeout", S.ARE_YOU_THERE),
    ),
    S.CARD_PAYING: (
        ("approved", S.COMPLETING),
        ("declined / failed", S.CHOOSE_METHOD),
        ("cancel: void", S.CANCELLED),
        ("timeout: void", S.TIMED_OUT),
    ),
    S.QR_WAITING: (
        ("paid", S.COMPLETING),
        ("order failed", S.CHOOSE_METHOD),
        ("cancel / timeout", S.QR_CANCELLING),
        ("cancel before order", S.CANCELLED),
        ("timeout before order", S.TIMED_OUT),
    ),
    S.QR_CANCELLING: (
        ("paid after all", S.COMPLETING),
        ("cancelled", S.CANCELLED),
        ("timeout: unresolved", S.CANCELLED),
    ),
    S.COMPLETING: (("receipt printed / failed / timeout / printing off", S.DONE),),
    S.DONE: (
        ("timeout / finish", S.ATTRACT),
        ("timeout, out of service pending", S.OUT_OF_SERVICE),
    ),
    S.ARE_YOU_THERE: (
        ("touch", S.CHOOSE_SERVICE),
        ("touch", S.IDENTIFY),
        ("touch", S.BILL_SHOWN),
        ("touch", S.CHOOSE_METHOD),
        ("touch", S.CASH_INSERTING),
        ("paid in full", S.COMPLETING),
        ("cancel", S.CANCELLED),
        ("acceptor fault", S.CANCELLED),
        ("countdown over: credit or voucher", S.TIMED_OUT),
    ),
    S.CANCELLED: (
        ("timeout / touch", S.ATTRACT),
        ("out of service pending", S.OUT_OF_SERVICE),
    ),
    S.TIMED_OUT: (
        ("timeout / touch", S.ATTRACT),
        ("out of service pending", S.OUT_OF_SERVICE),
    ),
    S.OUT_OF_SERVICE: (
        ("restored", S.ATTRACT),
        ("maintenance", S.MAINTENANCE),
        ("timeout: health check", S.OUT_OF_SERVICE),
    ),
    S.MAINTENANCE: (
        ("left / timeout", S.ATTRACT),
        ("left / timeout, out of service", S.OUT_OF_SERVICE),
    ),
}


def allowed(source: State, target: State) -> bool:
    return any(to is target for _, to in TRANSITIONS[source])


def to_dot() -> str:
    """The state diagram in Graphviz dot."""
    lines = [
        "digraph pay_flow {",
        "  rankdir=TB;",
        '  node [shape=box, style="rounded,filled", fillcolor="#eef4ff", fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
    ]
    for source, edges in TRANSITIONS.items():
        merged: dict[State, list[str]] = {}
        for label, target in edges:
            merged.setdefault(target, []).append(label)
        for target, labels in merged.items():
            text = "\\n".join(dict.fromkeys(labels))
            lines.append(f'  {source.value} -> {target.value} [label="{text}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"
