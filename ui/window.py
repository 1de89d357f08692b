"""The kiosk's one window: a header (operator, countdown, accessibility and
language buttons), the screen of the flow's state, and a footer (back,
cancel, connection, hotline).

It is frameless and fullscreen, stays on top, and does not close or give way
to the usual escape keys (Alt+F4, Alt+Tab, Escape, the Windows key); the
session's window manager settings do the rest (packaging/). Every touch is
passed to the flow as ``ScreenTouched`` so input screens restart their timeout.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QElapsedTimer, QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QKeyEvent, QMouseEvent, QResizeEvent
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.bills import Bill
from kiosk.flow import State
from kiosk.flow.states import ENDED_STATES, INPUT_STATES, SESSION_STATES
from kiosk.flow.view import View
from kiosk.money import Language
from ui.gesture import SecretGesture, corner
from ui.i18n import Languages, translate
from ui.screens.base import Context, Screen, flow_events
from ui.theme import Theme
from ui.widgets import button, label

if TYPE_CHECKING:
    from ui.screens.account import AccountPanel
    from ui.screens.pin_entry import PinPanel

# Each screen's module, imported when the screen is first built: the attract
# screen paints without the other screens' modules (nor the flow's events they
# post) being loaded first. The maintenance menu and the PIN pad are imported
# when a technician comes.
SCREENS: tuple[tuple[tuple[State, ...], str, str], ...] = (
    ((State.ATTRACT,), "attract", "AttractScreen"),
    ((State.CHOOSE_SERVICE,), "choose_service", "ChooseServiceScreen"),
    ((State.IDENTIFY,), "identify", "IdentifyScreen"),
    ((State.LOOKING_UP, State.QR_CANCELLING, State.COMPLETING), "busy", "BusyScreen"),
    ((State.BILL_SHOWN,), "bill_shown", "BillShownScreen"),
    ((State.CHOOSE_METHOD,), "choose_method", "ChooseMethodScreen"),
    ((State.CASH_INSERTING,), "cash_inserting", "CashInsertingScreen"),
    ((State.CARD_PAYING,), "card_paying", "CardPayingScreen"),
    ((State.QR_WAITING,), "qr_waiting", "QrWaitingScreen"),
    ((State.DONE,), "done", "DoneScreen"),
    ((State.ARE_YOU_THERE,), "are_you_there", "AreYouThereScreen"),
    ((State.CANCELLED, State.TIMED_OUT), "ended", "EndedScreen"),
    ((State.OUT_OF_SERVICE,), "out_of_service", "OutOfServiceScreen"),
    ((State.MAINTENANCE,), "maintenance.screen", "MaintenanceScreen"),
)
GESTURE_STATES = frozenset({State.ATTRACT, State.OUT_OF_SERVICE})
BACK_STATES = frozenset(
    {State.CHOOSE_SERVICE, State.IDENTIFY, State.BILL_SHOWN, State.CHOOSE_METHOD}
)
COUNTDOWN_STATES = SESSION_STATES | ENDED_STATES
BLOCKED_KEYS = frozenset(
    {
        Qt.Key.Key_Escape,
        Qt.Key.Key_F4,
        Qt.Key.Key_Tab,
        Qt.Key.Key_Meta,
        Qt.Key.Key_Super_L,
        Qt.Key.Key_Super_R,
        Qt.Key.Key_Backspace,
    }
)


def screen_kind(state: State) -> type[Screen]:
    """The screen class for ``state``, its module imported now if not before."""
    _, module, name = next(entry for entry in SCREENS if state in entry[0])
    kind = getattr(__import__(f"ui.screens.{module}", fromlist=[name]), name)
    assert isinstance(kind, type) and issubclass(kind, Screen) and state in kind.states
    return kind


class KioskWindow(QWidget):
    def __init__(self, ctx: Context, languages: Languages, default: Language) -> None:
        super().__init__()
        self.setObjectName("Kiosk")
        self.setWindowTitle("Kiosk")
        self.ctx = ctx
        self.languages = languages
        self.default_language = default
        self.may_close = False  # set by the shell on shutdown only
        self.view: View | None = None
        self._left = 0
        self._countdown_key: tuple[str, str] | None = None  # what its width was measured for
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._count_down)
        self._builder = QTimer(self)  # a child: it goes with the window
        self._builder.setSingleShot(True)
        self._builder.setInterval(0)
        self._builder.timeout.connect(self._build_the_rest)
        self._build()
        languages.use(default)

    # -- building -----------------------------------------------------------
    def _build(self) -> None:
        self.operator = label(role="operator")
        self.operator.setMinimumWidth(200)  # long operator names wrap, never widen the window
        self.countdown = label(role="countdown", wrap=False)
        self.access = button("", self._toggle_access, "chip")
        self.language = button("", self._toggle_language, "chip")
        header = QHBoxLayout()
        header.addWidget(self.operator, 1)
        header.addWidget(self.countdown)
        header.addWidget(self.access)
        header.addWidget(self.language)
        self.stack = QStackedWidget()
        self.theme = Theme(self, self.stack)
        # Screens are built the first time their state comes up: the kiosk paints
        # its attract screen without building the other fifteen first.
        self.screens: dict[State, Screen] = {}
        self._account: AccountPanel | None = None
        self._pin: PinPanel | None = None
        self.gesture = SecretGesture()
        self._clock = QElapsedTimer()
        self._clock.start()
        self._landscape = False
        if self.ctx.open_account is None:
            self.ctx.open_account = self.open_account
        self.back = button("", lambda: self.ctx.post(flow_events().BackPressed()), "quiet")
        self.cancel = button("", lambda: self.ctx.post(flow_events().CancelPressed()), "danger")
        self.status = label(role="status")
        footer = QHBoxLayout()
        footer.addWidget(self.back)
        footer.addWidget(self.status, 1)
        footer.addWidget(self.cancel)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        bar = QWidget()
        bar.setObjectName("Header")
        bar.setLayout(header)
        column.addWidget(bar)
        column.addWidget(self.stack, 1)
        foot = QWidget()
        foot.setObjectName("Footer")
        foot.setLayout(footer)
        column.addWidget(foot)

    def screen_for(self, state: State) -> Screen:
        """The screen for ``state``, built on first use (one per screen kind)."""
        screen = self.screens.get(state)
        if screen is None:
            kind = screen_kind(state)
            screen = kind(self.ctx)
            screen.set_landscape(self._landscape)
            self.stack.addWidget(screen)
            for each in kind.states:
                self.screens[each] = screen
        return screen

    @property
    def account(self) -> AccountPanel:
        if self._account is None:
            from ui.screens.account import AccountPanel  # noqa: PLC0415 - on first use

            self._account = AccountPanel(self.ctx, self.close_account)
            self._account.set_landscape(self._landscape)
            self.stack.addWidget(self._account)
        return self._account

    @property
    def pin(self) -> PinPanel:
        if self._pin is None:
            from ui.screens.pin_entry import PinPanel  # noqa: PLC0415 - not before the first paint

            self._pin = PinPanel(self.ctx, self.close_pin)
            self._pin.set_landscape(self._landscape)
            self.stack.addWidget(self._pin)
        return self._pin

    def _built(self) -> list[Screen]:
        screens: list[Screen] = list(dict.fromkeys(self.screens.values()))
        panels = [p for p in (self._account, self._pin) if p is not None]
        return screens + panels

    def _build_the_rest(self) -> None:
        """After the first paint, one screen per turn of the event loop, so the
        first touch on each finds it built (and a touch meanwhile is not held up
        by more than one screen's construction)."""
        customers = [states for states, _, _ in SCREENS if State.MAINTENANCE not in states]
        missing = [states for states in customers if states[0] not in self.screens]
        if missing:
            self.screen_for(missing[0][0])
        elif self._account is None:
            self.account  # noqa: B018 - builds the panel
        else:
            return
        self._builder.start()

    def lock_down(self, hide_cursor: bool) -> None:
        """Fullscreen, frameless, on top; no escape keys; no cursor on a touch screen."""
        self.setWindowFlags(Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint)
        app = QApplication.instance()
        assert app is not None
        app.installEventFilter(self)
        if hide_cursor:
            QApplication.setOverrideCursor(Qt.CursorShape.BlankCursor)
        self.showFullScreen()

    # -- the flow's views ---------------------------------------------------
    def show_view(self, view: View) -> None:
        previous = self.view
        self.view = view
        if view.state is State.ATTRACT and self.languages.current is not self.default_language:
            self.languages.use(self.default_language)  # the next customer starts in the default
        if self._account_open() and view.state is State.BILL_SHOWN:
            self.account.present(view)
        elif self.pin_open() and view.state in GESTURE_STATES:
            self.pin.present(view)
        else:
            screen = self.screen_for(view.state)
            screen.present(view)
            self.stack.setCurrentWidget(screen)
        self._only_current_sizes()
        self.theme.use(view.accessible)  # after the switch: the page now shown is restyled
        if previous is None:
            self._builder.start()
        if previous is None or previous.state != view.state or previous.timeout_s != view.timeout_s:
            self._restart_countdown(view)
        self._frame(view)

    def _only_current_sizes(self) -> None:
        """The stack is as large as the page it shows: a hidden page (a long
        message in large text, say) must not make the window outgrow the panel."""
        current = self.stack.currentWidget()
        for index in range(self.stack.count()):
            page = self.stack.widget(index)
            if page is None:
                continue
            policy = QSizePolicy.Policy.Preferred if page is current else QSizePolicy.Policy.Ignored
            page.setSizePolicy(policy, policy)

    def _frame(self, view: View) -> None:
        look = self.ctx.look()
        zh = self.languages.current is Language.ZH
        self.operator.setText(look.operator_name_zh if zh else look.operator_name_en)
        self.language.setText("English" if zh else "中文")
        self.access.setText(
            translate("Frame", "Larger text")
            if not view.accessible
            else translate("Frame", "Normal text")
        )
        cash_in = bool(view.paid and view.paid.is_positive()) or view.escrow is not None
        self.back.setText(translate("Frame", "Back"))
        self.back.setVisible(
            view.state in BACK_STATES or (view.state is State.CASH_INSERTING and not cash_in)
        )
        self.cancel.setText(translate("Frame", "Cancel"))
        self.cancel.setVisible(
            view.state in SESSION_STATES and view.state is not State.ARE_YOU_THERE
        )
        status = [] if view.online else [translate("Frame", "Offline")]
        status.append(translate("Frame", "Help: {hotline}").format(hotline=look.hotline))
        self.status.setText("   ".join(status))
        self.countdown.setVisible(view.state in COUNTDOWN_STATES and self._left > 0)

    def _restart_countdown(self, view: View) -> None:
        self._left = view.timeout_s or 0
        if view.state in COUNTDOWN_STATES and self._left:
            self._tick.start()
        else:
            self._tick.stop()
        self._show_countdown()

    def _count_down(self) -> None:
        self._left = max(self._left - 1, 0)
        self._show_countdown()

    def _show_countdown(self) -> None:
        template = translate("Frame", "{seconds} s left")
        self.countdown.setText(template.format(seconds=self._left))
        # As wide as the widest three-digit count from the start: the header never
        # waits for a relayout to show "180 s left" whole (nor shifts as it counts).
        # Measured again only when the language or the theme's font changes.
        key = (template, self.countdown.font().key())
        if key != self._countdown_key:
            self._countdown_key = key
            metrics = self.countdown.fontMetrics()
            margins = self.countdown.contentsMargins()
            widest = max(
                metrics.horizontalAdvance(template.format(seconds=str(digit) * 3))
                for digit in range(10)
            )
            self.countdown.setMinimumWidth(widest + margins.left() + margins.right())

    # -- buttons --------------------------------------------------------------
    def _toggle_language(self) -> None:
        zh = self.languages.current is Language.ZH
        self.languages.use(Language.EN if zh else Language.ZH)
        self.rerender()

    def rerender(self) -> None:
        if self.view is not None:
            if self._account_open():
                self.account.retranslate()
            elif self.pin_open():
                self.pin.retranslate()
            else:
                self.screen_for(self.view.state).present(self.view)
            self._frame(self.view)
            self._show_countdown()

    def _toggle_access(self) -> None:
        if self.view is not None:
            self.ctx.post(flow_events().AccessibilityToggled(not self.view.accessible))

    def pin_open(self) -> bool:
        return self._pin is not None and self.stack.currentWidget() is self._pin

    def open_pin(self) -> None:
        """The hidden gesture was made: the PIN pad, over the attract screen."""
        self.pin.open()
        self.stack.setCurrentWidget(self.pin)

    def close_pin(self) -> None:
        if self.pin_open() and self.view is not None:
            self.stack.setCurrentWidget(self.screen_for(self.view.state))

    def _gesture(self, event: QEvent) -> None:
        if self.view is None or self.view.state not in GESTURE_STATES or self.pin_open():
            self.gesture.reset()
            return
        assert isinstance(event, QMouseEvent)
        point = self.mapFromGlobal(event.globalPosition().toPoint())
        where = corner(point.x(), point.y(), self.width())
        now = self._clock.elapsed() / 1000
        if event.type() == QEvent.Type.MouseButtonPress:
            self.gesture.press(where, now)
        elif self.gesture.release(where, now):
            self.open_pin()

    def _account_open(self) -> bool:
        return self._account is not None and self.stack.currentWidget() is self._account

    def open_account(self, bill: Bill) -> None:
        self.account.open(bill)
        self.stack.setCurrentWidget(self.account)

    def close_account(self) -> None:
        if self.view is not None:
            self.stack.setCurrentWidget(self.screen_for(self.view.state))

    # -- orientation and lock-down ---------------------------------------------
    def use_size(self, width: int, height: int) -> None:
        """Lay the screens out for the panel's orientation first, then take its size
        (the portrait layouts are taller than a landscape panel)."""
        self._landscape = width > height
        for screen in self._built():
            screen.set_landscape(self._landscape)
        self.resize(width, height)

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._landscape = event.size().width() > event.size().height()
        for screen in self._built():
            screen.set_landscape(self._landscape)
        super().resizeEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        mouse = kind in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease)
        if mouse and watched is self.windowHandle():
            self._gesture(event)
        if kind in (QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin):
            if (
                self.view is not None
                and (self.view.state in INPUT_STATES or self.view.state is State.MAINTENANCE)
                and watched is self.windowHandle()
            ):
                self._restart_countdown(self.view)
                self.ctx.post(flow_events().ScreenTouched())
        elif kind in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride):
            assert isinstance(event, QKeyEvent)
            modifiers = event.modifiers()
            if event.key() in BLOCKED_KEYS or modifiers & (
                Qt.KeyboardModifier.AltModifier
                | Qt.KeyboardModifier.MetaModifier
                | Qt.KeyboardModifier.ControlModifier
            ):
                return True
        return False

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.may_close:
            event.accept()
        else:
            event.ignore()  # Alt+F4 and the window manager's close do nothing
