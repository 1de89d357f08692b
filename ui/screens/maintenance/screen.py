"""The maintenance menu: the pages of the role that came in, nothing else.

A page is listed only if the role has its function (``roles.PERMISSIONS``),
and every service action checks the role again. The live pages (devices, the
upload queue) refresh every two seconds; the others read their figures when
opened (so a form keeps what is being typed). Any touch restarts the flow's
maintenance timeout; leaving, or that timeout, ends the menu session."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QGridLayout, QScrollArea, QStackedWidget, QWidget

from kiosk.flow import State
from kiosk.flow.view import View
from kiosk.maintenance.roles import Role
from ui.i18n import translate
from ui.screens.base import Context, Screen, clear
from ui.screens.maintenance.cash import CashPage
from ui.screens.maintenance.devices import DevicesPage
from ui.screens.maintenance.enrollment import EnrollPage
from ui.screens.maintenance.operations import OperationsPage
from ui.screens.maintenance.page import Page
from ui.screens.maintenance.pins import PinsPage
from ui.screens.maintenance.queue import QueuePage
from ui.screens.maintenance.settings import SettingsPage
from ui.screens.maintenance.system import SystemPage
from ui.widgets import button

REFRESH_MS = 2000
PAGES: tuple[type[Page], ...] = (
    DevicesPage,
    QueuePage,
    SystemPage,
    OperationsPage,
    CashPage,
    SettingsPage,
    EnrollPage,
    PinsPage,
)


def role_name(role: Role | None) -> str:
    names = {
        Role.TECHNICIAN: translate("Maintenance", "technician"),
        Role.COLLECTOR: translate("Maintenance", "cash collector"),
        Role.ADMINISTRATOR: translate("Maintenance", "administrator"),
    }
    return names.get(role, "") if role else ""


class MaintenanceScreen(Screen):
    states = (State.MAINTENANCE,)

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        tools = self.tools = ctx.services.maintenance_tools()
        self.pages: list[Page] = [kind(tools) for kind in PAGES]
        self.stack = QStackedWidget()
        for page in self.pages:
            self.stack.addWidget(page)
        self.setObjectName("Maintenance")
        scroll = QScrollArea()
        scroll.setObjectName("MaintenancePage")
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.stack)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.leave = button("", lambda: tools.service.leave(), "danger")  # noqa: PLW0108
        self.second.addWidget(scroll, 1)
        self.split.setStretch(0, 0)
        self.split.setStretch(1, 3)
        self._refresh = QTimer(self)
        self._refresh.setInterval(REFRESH_MS)
        self._refresh.timeout.connect(self._tick)
        self._role: Role | None = None
        self._landscape = False

    def set_landscape(self, landscape: bool) -> None:
        super().set_landscape(landscape)
        if landscape != self._landscape:
            self._landscape = landscape
            self._build_nav()

    def present(self, view: View) -> None:
        super().present(view)
        role = Role(view.maintenance_role) if view.maintenance_role else None
        if role is not self._role:
            self._role = role
            self._build_nav()
        self.title.setText(
            translate("Maintenance", "Maintenance: {role}").format(role=role_name(role))
        )
        self.leave.setText(translate("Maintenance", "Leave maintenance"))
        if self._role is not None and self.visible_pages():
            self.current().refresh()
        self._refresh.start()

    def hideEvent(self, event: object) -> None:
        self._refresh.stop()

    def visible_pages(self) -> list[Page]:
        return [p for p in self.pages if self.tools.service.may(p.function)]

    def _build_nav(self) -> None:
        """The role's pages: a column beside the page in landscape, rows above it in
        portrait."""
        clear(self.first)
        nav = QGridLayout()
        nav.setSpacing(6)
        visible = self.visible_pages() if self._role is not None else []
        columns = 1 if self._landscape else 4
        for index, page in enumerate(visible):
            chip = button(page.name(), partial(self.open, page), "chip")
            nav.addWidget(chip, index // columns, index % columns)
        holder = QWidget()
        holder.setLayout(nav)
        self.first.addWidget(holder)
        if self._landscape:
            self.first.addStretch(1)
        self.first.addWidget(self.leave)
        self.leave.show()
        if visible:
            self.open(visible[0])

    def open(self, page: Page) -> None:
        if page not in self.visible_pages():
            return
        self.stack.setCurrentWidget(page)
        page.say("")
        page.refresh()

    def current(self) -> Page:
        page = self.stack.currentWidget()
        assert isinstance(page, Page)
        return page

    def _tick(self) -> None:
        if self.view is None or self.view.state is not State.MAINTENANCE:
            return
        if self.tools.service.role is None:
            return  # the menu session ended; the next view takes the screen
        page = self.current()
        if page.live and page in self.visible_pages():
            page.refresh()
