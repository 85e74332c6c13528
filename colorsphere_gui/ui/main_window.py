"""The main window: open photos, watch them colorize, compare, switch model, export.

Two lanes of work run beside the GUI thread. The display lane brings the current photo on screen
(read, colorize, preview, full resolution) and is restarted whenever what should be on screen changes
(another photo, model, strength): the newest request wins, the old one stops after its current step.
The background lane colorizes the other opened photos one by one while the display lane is idle, so
the strip fills up with results without slowing down the photo being looked at.
"""

from __future__ import annotations

import html
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QImage,
    QKeySequence,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from colorsphere_gui.core.adjust import Adjustment
from colorsphere_gui.core.photo import SUPPORTED_EXTENSIONS

from .about import about_dialog, shortcuts_dialog
from .adjust import AdjustPanel
from .batch_dialog import BatchDialog
from .catalog import ModelCatalog
from .compare_dialog import CompareDialog
from .compare_view import FULL, PREVIEW, SIDE, SPLIT, CompareView
from .controls import DevicePanel, PhotoPanel, StrengthPanel
from .export_options import DEFAULT_SUFFIX, ExportOptions, ExportOptionsDialog
from .help import show_user_guide
from .hint_mode import HintMode
from .icons import action_icon, app_icon
from .jobs import (
    Colorized,
    DisplayRequest,
    Found,
    LoadedPhoto,
    SaveItem,
    WriteOptions,
    display_job,
    expand_job,
    paste_job,
    predict_job,
    save_job,
    scan_thumbs_job,
)
from .model_panel import ModelPanel
from .notice import NoticeBar
from .photos import PhotoEntry, PhotoStrip, State
from .settings import Settings
from .status import WordStatusBar
from .wording import breakable, gui_words
from .workers import ColorizerFactory, ColorizerPool, Task, TaskTracker

SAVE_FILTERS = {
    "PNG (*.png)": (".png",),
    "JPEG (*.jpg *.jpeg)": (".jpg", ".jpeg"),
    "TIFF (*.tif *.tiff)": (".tif", ".tiff"),
}
SAVE_SUFFIXES = tuple(s for suffixes in SAVE_FILTERS.values() for s in suffixes)
MIN_PREVIEW, MAX_PREVIEW = 1024, 3840
SIDE_PANEL_WIDTH = 290
SIDE_PANEL_MIN_WIDTH = 240  # a third of the smallest window; F9 hides it for the whole width
MIN_WINDOW_WIDTH, MIN_WINDOW_HEIGHT = 760, 540


class MainWindow(QMainWindow):
    photos_added = Signal(list)  # ids of the entries just added
    photo_shown = Signal(int)  # the current photo's 'before' is on screen
    colorized = Signal(int)  # the current photo's full-resolution result is on screen
    saved = Signal(list)  # paths written by one Save / Save As / Save All, once it has finished

    def __init__(
        self,
        *,
        settings: QSettings | None = None,
        colorizer_factory: ColorizerFactory | None = None,
        catalog: ModelCatalog | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = Settings(settings)
        self.catalog = catalog or ModelCatalog()
        self.pool = ColorizerPool(colorizer_factory)
        self.tracker = TaskTracker(self)
        self.entries: list[PhotoEntry] = []
        self.current: PhotoEntry | None = None
        self.loaded: LoadedPhoto | None = None
        self._loaded_entry: PhotoEntry | None = None
        self._display_task: Task | None = None
        self._display_wanted = False
        self._bg_task: Task | None = None
        self._bg_entry: PhotoEntry | None = None
        self._save_task: Task | None = None
        self._closing = False
        self._quit_confirmed = False
        self._quit_after_save = False  # "Save All" in the Quit prompt: quit once saving has finished
        self._temp_dir: Path | None = None
        self._paste_count = 0
        self._progress_message = ""
        self._written: list[Path] = []
        self._gpu = self.catalog.gpu_backend()
        self.batch_dialog: BatchDialog | None = None
        self.compare_dialog: CompareDialog | None = None
        self.export = ExportOptions.load(self.settings)
        self.export_dialog: ExportOptionsDialog | None = None
        self.guide_window: QWidget | None = None
        self._restoring = False  # panels are being set to a photo's own choices

        self.setWindowTitle("ColorSphere")
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self._build_body()
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_status_bar()
        self._restore_settings()
        self.pool.notices.message.connect(self._engine_notice)
        self.tracker.idle.connect(self._idle)
        self._update_actions()

    # ================================================================ layout
    def _build_body(self) -> None:
        self.notice = NoticeBar()
        self.view = CompareView()
        self.view.zoom_changed.connect(self._show_zoom)
        self.strip = PhotoStrip()
        self.strip.photo_chosen.connect(self._chosen)
        self.strip.remove_requested.connect(self._remove_by_id)
        self.strip.hide()  # until there is a photo: the empty view alone invites the drop

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(6, 6, 0, 6)
        left_layout.addWidget(self.notice)
        left_layout.addWidget(self.view, 1)
        left_layout.addWidget(self.strip)

        self.model_panel = ModelPanel(self.catalog, self.tracker, self.settings)
        self.model_panel.model_changed.connect(self._model_changed)
        self.model_panel.model_installed.connect(self._model_installed)
        self.model_panel.message.connect(self.show_notice)
        self.model_panel.failed.connect(self._weights_failed)
        self.device_panel = DevicePanel(self.catalog.gpu_name() if self._gpu else "")
        self.device_panel.device_changed.connect(self._device_changed)
        self.strength_panel = StrengthPanel()
        self.strength_panel.strength_changed.connect(self._strength_changed)
        self.adjust_panel = AdjustPanel()
        self.adjust_panel.changed.connect(lambda: self._strength_changed(self.strength()))
        self.photo_panel = PhotoPanel()
        self.photo_panel.compare_button.clicked.connect(self.compare_with_original)
        batch = QPushButton(action_icon("batch"), "Batch restore a folder…")
        batch.setAccessibleName("Batch restore a folder")
        batch.clicked.connect(self.open_batch)
        self.hint_mode = HintMode(self)
        self.hint_mode.changed.connect(self._hints_changed)
        self.hint_mode.message.connect(self.show_notice)
        self.hint_mode.act_mode.toggled.connect(self._delete_key_for_hints)

        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(6, 6, 6, 6)
        for widget in (
            self.model_panel,
            self.device_panel,
            self.strength_panel,
            self.adjust_panel,
            self.photo_panel,
        ):
            side_layout.addWidget(widget)
        side_layout.insertWidget(1, self.hint_mode.panel)  # below the model, which decides how hints work
        side_layout.addStretch(1)
        side_layout.addWidget(batch)
        scroll = QScrollArea()
        scroll.setWidget(side)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(SIDE_PANEL_MIN_WIDTH)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setAccessibleName("Side panel")
        self.side_panel = scroll

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(scroll)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 0)
        self.splitter.setCollapsible(0, False)
        self.splitter.setCollapsible(1, False)  # hidden with View > Side Panel (F9), not lost by a drag
        self.setCentralWidget(self.splitter)
        self.setMinimumSize(MIN_WINDOW_WIDTH, MIN_WINDOW_HEIGHT)
        self._shown_once = False

    def _action(
        self,
        text: str,
        slot,
        shortcut: QKeySequence | str | None = None,
        icon: str | None = None,
        tip: str = "",
        checkable: bool = False,
    ) -> QAction:
        action = QAction(text, self)
        if icon:
            action.setIcon(action_icon(icon))
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(
            f"{tip or text.replace('…', '').replace('&', '')}"
            + (
                f" ({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
                if shortcut is not None
                else ""
            )
        )
        action.setStatusTip(tip)
        action.setCheckable(checkable)
        # triggered(bool) must not reach a slot's first optional parameter (zoom_actual's anchor):
        # only checkable actions hand their state on.
        if checkable:
            action.triggered.connect(slot)
        else:
            action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)  # shortcuts work even when menus and toolbars are hidden
        return action

    def _build_actions(self) -> None:
        a = self._action
        self.act_open = a("&Open…", self.choose_files, QKeySequence.StandardKey.Open, "open", "Open photos")
        self.act_open_folder = a(
            "Open &Folder…", self.choose_folder, "Ctrl+Shift+O", "folder", "Open every photo in a folder"
        )
        self.act_paste = a(
            "&Paste",
            self.paste,
            QKeySequence.StandardKey.Paste,
            "paste",
            "Paste a picture or files from the clipboard",
        )
        self.act_save = a(
            "&Save",
            self.save,
            QKeySequence.StandardKey.Save,
            "save",
            "Save the colorized photo (never over the original)",
        )
        self.act_save_as = a(
            "Save &As…", self.save_as, "Ctrl+Shift+S", None, "Save under a new name or format"
        )
        self.act_save_all = a(
            "Save A&ll…", self.save_all, "Ctrl+Alt+S", "save-all", "Save every colorized photo into a folder"
        )
        self.act_batch = a(
            "&Batch Restore Folder…",
            self.open_batch,
            "Ctrl+B",
            "batch",
            "Colorize a whole folder into another one",
        )
        self.act_export_options = a(
            "&Export Options…",
            self.export_options,
            None,
            None,
            "JPEG quality, TIFF compression, name suffix and the format of Save All",
        )
        self.act_remove = a(
            "&Remove from List",
            self.remove_current,
            "Ctrl+W",
            "cancel",
            "Close this photo (the file itself is kept); asks first if its result is not saved",
        )
        self.act_remove.setShortcuts([QKeySequence("Ctrl+W"), QKeySequence(Qt.Key.Key_Delete)])
        self.act_quit = a("&Quit", self.close, QKeySequence.StandardKey.Quit)

        self.act_side = a(
            "&Side by Side",
            self._toggle_side,
            "Ctrl+T",
            "side",
            "Show before and after next to each other",
            checkable=True,
        )
        self.act_original = a(
            "Show &Original",
            self._toggle_original,
            "Ctrl+Shift+B",
            "original",
            "Show the original instead of the result (or hold O)",
            checkable=True,
        )
        self.act_fit = a("&Fit to Window", self.view.zoom_fit, "Ctrl+0", "fit", "Fit the photo to the window")
        self.act_actual = a(
            "&Actual Pixels (100 %)",
            self.view.zoom_actual,
            "Ctrl+1",
            "actual",
            "One photo pixel per screen pixel",
        )
        self.act_zoom_in = a("Zoom &In", lambda: self.view.zoom_by(1.25), QKeySequence.StandardKey.ZoomIn)
        self.act_zoom_out = a("Zoom O&ut", lambda: self.view.zoom_by(0.8), QKeySequence.StandardKey.ZoomOut)
        # Page Down / Page Up as in digiKam and most viewers: window shortcuts, so they work wherever the
        # focus is (the arrows belong to the divider once the photo has focus).
        self.act_next = a(
            "&Next Photo", lambda: self.step_photo(1), QKeySequence.StandardKey.MoveToNextPage, "next"
        )
        self.act_previous = a(
            "&Previous Photo",
            lambda: self.step_photo(-1),
            QKeySequence.StandardKey.MoveToPreviousPage,
            "previous",
        )
        self.act_panel = a(
            "Side &Panel",
            self._toggle_panel,
            "F9",
            None,
            "Show or hide the panel of models and settings (more room for the photo)",
            checkable=True,
        )
        self.act_panel.setChecked(True)

        self.act_recolorize = a(
            "&Recolorize", self.recolorize, "F5", "recolorize", "Run the model again on this photo"
        )
        self.act_cancel = a("&Cancel", self.cancel_work, "Esc", "cancel", "Stop after the current step")
        self.act_models = a("Choose &Model…", self._focus_models, "Ctrl+M", None, "Choose or install a model")
        self.act_compare = a(
            "&Compare Models…",
            self.compare_with_original,
            "Ctrl+K",
            None,
            "Score each model against the right colours: a colour photo's own, or a reference for a scan",
        )
        self.act_apply_all = a(
            "Use These Settings for &All Photos",
            self.apply_to_all,
            "Ctrl+Shift+A",
            None,
            "Give every opened photo this photo's model, strength and adjustments",
        )
        self.act_about = a("&About ColorSphere", self.show_about, None, "info")
        self.act_guide = a(
            "&User Guide", self.show_guide, QKeySequence.StandardKey.HelpContents, None, "Open the user guide"
        )
        self.act_shortcuts = a("&Keyboard Shortcuts", self.show_shortcuts, "Ctrl+/")

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        file.addActions([self.act_open, self.act_open_folder])
        self.recent_menu = QMenu("Open &Recent", self)
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        file.addMenu(self.recent_menu)
        file.addAction(self.act_paste)
        file.addSeparator()
        file.addActions([self.act_save, self.act_save_as, self.act_save_all, self.act_export_options])
        file.addSeparator()
        file.addAction(self.act_remove)
        file.addSeparator()
        file.addActions([self.hint_mode.act_export, self.hint_mode.act_import])
        file.addSeparator()
        file.addAction(self.act_batch)
        file.addSeparator()
        file.addAction(self.act_quit)
        edit = bar.addMenu("&Edit")
        for action in self.hint_mode.edit_actions():
            if action is None:
                edit.addSeparator()
            else:
                edit.addAction(action)
        view = bar.addMenu("&View")
        view.addActions([self.act_side, self.act_original])
        view.addSeparator()
        view.addActions([self.act_fit, self.act_actual, self.act_zoom_in, self.act_zoom_out])
        view.addSeparator()
        view.addActions([self.act_next, self.act_previous])
        view.addSeparator()
        view.addAction(self.act_panel)
        colorize = bar.addMenu("&Colorize")
        colorize.addActions([self.act_recolorize, self.act_cancel])
        colorize.addSeparator()
        colorize.addActions([self.act_models, self.act_apply_all, self.act_compare])
        help_menu = bar.addMenu("&Help")
        help_menu.addActions([self.act_guide, self.act_shortcuts, self.act_about])

    def _build_toolbar(self) -> None:
        tools = QToolBar("Main")
        tools.setObjectName("main-toolbar")
        tools.setMovable(False)
        tools.setIconSize(QSize(20, 20))
        tools.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        tools.addActions([self.act_open, self.act_save, self.act_save_all])
        tools.addSeparator()
        tools.addAction(self.act_side)
        self.hold_button = QToolButton()
        self.hold_button.setIcon(action_icon("original"))
        self.hold_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.hold_button.setText("Hold for original")
        self.hold_button.setToolTip("Press and hold to see the original (or hold O over the photo)")
        self.hold_button.setAccessibleName("Hold to see the original")
        self.hold_button.pressed.connect(lambda: self.view.set_show_original(True))
        self.hold_button.released.connect(lambda: self.view.set_show_original(self.act_original.isChecked()))
        tools.addWidget(self.hold_button)
        tools.addActions([self.act_fit, self.act_actual])
        tools.addSeparator()
        tools.addActions([self.hint_mode.act_mode, self.act_recolorize, self.act_cancel])
        self.addToolBar(tools)

    def _build_status_bar(self) -> None:
        status = WordStatusBar()
        self.setStatusBar(status)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(120)  # the message beside it needs the room more
        self.progress.setTextVisible(False)
        self.progress.setAccessibleName("Progress")
        self.progress.hide()
        # The zoom is named and kept away from the progress bar (the device sits between them), so
        # that "89 %" is never read as how far the work has got.
        self.zoom_label = QLabel("")
        self.zoom_label.setAccessibleName("Zoom")
        self.zoom_label.setToolTip("Zoom: 100 % shows one photo pixel per screen pixel (Ctrl+1)")
        self.device_label = QLabel("")
        self.device_label.setAccessibleName("Device in use")
        self.overall = QLabel("")
        self.overall.setAccessibleName("Photos colorized")
        self.overall.setToolTip("How many of the opened photos have their colour result")
        status.addPermanentWidget(self.overall)
        status.addPermanentWidget(self.zoom_label)
        status.addPermanentWidget(self.device_label)
        status.addPermanentWidget(self.progress)
        status.showMessage("Drop photos or folders to begin.")

    def _show_zoom(self, percent: float) -> None:
        self.zoom_label.setText(f"Zoom {percent:.0f} %" if self.view.has_photo() else "")

    # ================================================================ settings
    def _restore_settings(self) -> None:
        geometry = self.settings.geometry("geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1280, 820)
        self._fit_on_screen()
        splitter = self.settings.geometry("splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)
        else:
            self.splitter.setSizes([1000, SIDE_PANEL_WIDTH])
        saved = self.settings.model
        usable = saved and any(s.name == saved and s.installed for s in self.catalog.statuses())
        self.model_panel.set_current(saved if usable else self.catalog.default_model)
        self.device_panel.set_choice(self.settings.device)
        self.act_side.setChecked(self.settings.compare_mode == SIDE)
        self.view.set_mode(
            self.settings.compare_mode if self.settings.compare_mode in (SIDE, SPLIT) else SPLIT
        )
        self._show_device()

    def _fit_on_screen(self) -> None:
        """Keep the whole window, status bar included, on the screen: a first start on a 1280 x 800
        laptop, or a size saved on a larger monitor, must not hide the bottom of the window."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            return
        room = screen.availableGeometry()
        frame = self.frameGeometry().size() - self.geometry().size()  # title bar and borders, if any
        width = max(self.minimumWidth(), min(self.width(), room.width() - frame.width()))
        height = max(self.minimumHeight(), min(self.height(), room.height() - frame.height()))
        self.resize(width, height)
        left = min(max(self.x(), room.left()), room.right() + 1 - width - frame.width())
        top = min(max(self.y(), room.top()), room.bottom() + 1 - height - frame.height())
        self.move(max(left, room.left()), max(top, room.top()))

    def _save_settings(self) -> None:
        self.settings.set_geometry("geometry", self.saveGeometry())
        self.settings.set_geometry("splitter", self.splitter.saveState())
        self.settings.model = self.model()
        self.settings.device = self.device_panel.choice()
        self.settings.compare_mode = self.view.mode()
        self.settings.sync()

    # ================================================================ what is chosen
    def model(self) -> str:
        return self.model_panel.current()

    def device(self) -> str:
        """The engine's device name for the choice: 'gpu' is this machine's CUDA or MPS."""
        choice = self.device_panel.choice()
        return (self._gpu or "cuda") if choice == "gpu" else choice

    def strength(self) -> float:
        return self.strength_panel.strength()

    def adjustment(self) -> Adjustment:
        """The side panel's strength, warmth and saturation: what the current photo is shown with."""
        return Adjustment(self.strength(), *self.adjust_panel.values())

    def _delete_key_for_hints(self, hint_mode: bool) -> None:
        """In hint mode Delete removes the selected point, not the photo (Ctrl+W still closes the photo);
        one key on two enabled actions would do neither."""
        keys = [QKeySequence("Ctrl+W")] + ([] if hint_mode else [QKeySequence(Qt.Key.Key_Delete)])
        self.act_remove.setShortcuts(keys)

    def displaying(self) -> bool:
        return self._display_task is not None

    def _preview_side(self) -> int:
        screen = self.screen()
        size = screen.size() * screen.devicePixelRatio()
        return min(MAX_PREVIEW, max(MIN_PREVIEW, size.width(), size.height()))

    # ================================================================ opening
    def open_paths(self, paths: list[Path | str]) -> None:
        """Open files and folders (searched recursively); the first photo is shown and colorized."""
        paths = [Path(p) for p in paths]
        for folder in reversed([p for p in paths if p.is_dir()]):
            self.settings.add_recent(folder)  # folders are listed in Open Recent; files once they open
        suffixes = {self.export.suffix, DEFAULT_SUFFIX}
        task = Task("Looking for photos", expand_job(paths, suffixes))
        task.result.connect(self._add_files)
        task.error.connect(self.show_notice)
        self.tracker.start(task)

    def choose_files(self) -> None:
        patterns = " ".join(f"*{ext}" for ext in sorted(SUPPORTED_EXTENSIONS))
        files, _ = QFileDialog.getOpenFileNames(
            self, "Open photos", self.settings.folder("open"), f"Photos ({patterns});;All files (*)"
        )
        if files:
            self.settings.set_folder("open", Path(files[0]).parent)
            self.open_paths(files)

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Open a folder of photos", self.settings.folder("open")
        )
        if folder:
            self.settings.set_folder("open", folder)
            self.open_paths([folder])

    def paste(self) -> None:
        clipboard = QApplication.clipboard()
        mime = clipboard.mimeData()
        files = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()] if mime.hasUrls() else []
        if files:
            self.open_paths(files)
        elif mime.hasImage():
            self.paste_image(clipboard.image())
        else:
            self.show_notice("The clipboard holds no picture: copy a photo or a file first.", "info")

    def paste_image(self, image: QImage) -> None:
        if image.isNull():
            self.show_notice("The clipboard's picture could not be read.", "warning")
            return
        if self._temp_dir is None:
            self._temp_dir = Path(tempfile.mkdtemp(prefix="colorsphere-"))
        self._paste_count += 1
        number = self._paste_count
        task = Task("Pasting", paste_job(image, self._temp_dir / f"pasted-{number}.png"))
        task.result.connect(
            lambda path: self._add_entries([PhotoEntry(path, f"Pasted image {number}", True)])
        )
        task.error.connect(self.show_notice)
        self.tracker.start(task)

    def _add_files(self, found: Found) -> None:
        files, ignored = found.photos, found.ignored
        if ignored:
            names = ", ".join(p.name for p in ignored[:3]) + ("…" if len(ignored) > 3 else "")
            self.show_notice(
                f"{len(ignored)} item(s) are not photos ColorSphere can open and were left out: {names}",
                "warning",
            )
        elif found.results:
            self.show_notice(
                f"{len(found.results)} colour version(s) saved earlier by ColorSphere (such as "
                f"{found.results[0].name}) were not opened again; open them with File > Open to see them.",
                "info",
            )
        if not files:
            if not ignored and not found.results:
                self.show_notice("No photos were found there.", "info")
            return
        known = {e.path.resolve(): e for e in self.entries}
        fresh: list[PhotoEntry] = []
        for path in files:
            if path.resolve() not in known:
                entry = PhotoEntry(path, path.name)
                known[path.resolve()] = entry
                fresh.append(entry)
        first = known[files[0].resolve()]
        self._add_entries(fresh, first)

    def _add_entries(self, fresh: list[PhotoEntry], first: PhotoEntry | None = None) -> None:
        for entry in fresh:
            entry.model, entry.adjustment = self.model(), self.adjustment()
            self.entries.append(entry)
            self.strip.add(entry, entry.model)
        self.strip.setVisible(bool(self.entries))
        self.photos_added.emit([e.id for e in fresh])
        target = first or (fresh[0] if fresh else None)
        if target is not None:
            self.show_entry(target)
        self._load_scan_thumbs([e for e in fresh if e is not target])
        self._update_actions()

    def entry(self, entry_id: int) -> PhotoEntry | None:
        return next((e for e in self.entries if e.id == entry_id), None)

    def _chosen(self, entry_id: int) -> None:
        entry = self.entry(entry_id)
        if entry is not None and entry is not self.current:
            self.show_entry(entry)

    def show_entry(self, entry: PhotoEntry) -> None:
        if entry is not self.current:
            self.current = entry
            self.loaded = None
            self.view.clear()
            self.view.set_opening(breakable(entry.name))
            self._show_zoom(0.0)  # no zoom to show until this photo is on screen
            self.photo_panel.details.setText(breakable(entry.name))
            self.photo_panel.compare_button.setEnabled(False)
            self.setWindowTitle(f"{entry.name} — ColorSphere")
            self._restore_look(entry)
            self.hint_mode.show(entry)
        self.strip.select(entry.id)
        self.view.setFocus()
        if self._bg_task is not None and self._bg_entry is entry:
            self._bg_task.cancel()  # the display lane takes this photo over
        self._request_display()
        self._update_actions()

    # ================================================================ display lane
    def _request_display(self) -> None:
        if self.current is None or self._closing:
            return
        self._display_wanted = True
        if self._display_task is not None:
            self._display_task.cancel()  # the newest request wins; it starts when this one stops
        else:
            self._start_display()

    def _start_display(self) -> None:
        self._display_wanted = False
        entry, model = self.current, self.model()
        if entry is None:
            return
        entry.model = model
        ab = entry.results.get(model)
        loaded = self.loaded if self._loaded_entry is entry else None
        colorize = (
            ab is None
            and self.model_panel.is_ready()
            and model not in entry.cancelled
            and model not in entry.errors
        )
        if ab is None and not colorize:
            self._show_why_not_colorized(entry, model)
            if loaded is not None:
                return  # the photo is on screen and there is nothing to run
        req = DisplayRequest(
            entry.path,
            model,
            self.device(),
            entry.adjustment,
            self._preview_side(),
            loaded,
            ab,
            colorize,
            self.hint_mode.hints_of(entry),
        )
        task = Task(f"Colorizing {entry.name}", display_job(self.pool, req))
        task.stage.connect(lambda kind, payload: self._display_stage(entry, req, kind, payload))
        task.progress.connect(self._progress)
        task.error.connect(lambda text: self._failed(entry, model, text))
        task.cancelled.connect(lambda: self._display_cancelled(entry))
        task.finished.connect(lambda: self._display_finished(entry))
        self._display_task = task
        entry.working = colorize
        self.strip.refresh(entry, model)
        if colorize:
            self.view.set_busy_text(f"Colorizing with {self._model_label(model)}…")
        self.tracker.start(task)
        self._update_actions()

    def _display_stage(self, entry: PhotoEntry, req: DisplayRequest, kind: str, payload: object) -> None:
        on_screen = (
            entry is self.current
            and req.model == self.model()
            and req.hints in (None, self.hint_mode.hints_of(entry))  # None: the saved ones, read by the job
        )
        if kind == "loaded" and isinstance(payload, LoadedPhoto):
            if entry.scan_thumb is None:
                entry.scan_thumb = payload.before_thumb
                self.strip.refresh(entry, entry.model)
            if not entry.temporary:
                self.settings.add_recent(entry.path)  # only photos that did open: never a failed one
            if entry is self.current:
                self.loaded, self._loaded_entry = payload, entry
                self.view.set_photo(QSize(*payload.photo.size), payload.before_preview, payload.before_full)
                name = breakable(html.escape(entry.name))
                self.photo_panel.details.setText(f"<b>{name}</b><br>{payload.describe()}")
                self.photo_panel.compare_button.setEnabled(True)
                self._update_actions()
                self.photo_shown.emit(entry.id)
        elif kind == "hints":
            self.hint_mode.restored(entry, payload)  # type: ignore[arg-type]
        elif kind == "predicted" and req.model not in entry.cancelled:  # a late result after Esc is dropped
            self._store(entry, payload)  # type: ignore[arg-type]
        elif kind == "thumb" and req.model not in entry.cancelled:
            entry.thumb, entry.thumb_model = payload, req.model  # type: ignore[assignment]
            self.strip.refresh(entry, entry.model)
        elif kind in (PREVIEW, FULL) and on_screen:
            self.view.set_after(payload, kind)  # type: ignore[arg-type]
            if kind == FULL:
                self.view.set_busy_text("")
                self.statusBar().showMessage(
                    f"{entry.name}: colorized with {self._model_label(req.model)}.", 8000
                )
                self.colorized.emit(entry.id)
            else:
                self.view.set_busy_text("Full resolution…")

    def _store(self, entry: PhotoEntry, result: Colorized) -> None:
        if result.hints != self.hint_mode.hints_of(entry):
            return  # the points were edited while it ran: a newer run follows
        entry.results[result.model] = result.ab
        entry.devices[result.model] = result.device
        entry.errors.pop(result.model, None)
        entry.working = False
        self.strip.refresh(entry, entry.model)
        self._show_device(result.device)
        self._update_actions()

    def _failed(self, entry: PhotoEntry, model: str, text: str) -> None:
        entry.errors[model] = text
        entry.working = False
        self.strip.refresh(entry, entry.model)
        if entry is self.current and not self.view.has_photo():  # it could not even be read
            detail = breakable(gui_words(text))
            self.view.set_problem(f"{breakable(entry.name)} cannot be opened", detail)
            name = breakable(html.escape(entry.name))
            self.photo_panel.details.setText(f"<b>{name}</b><br>Cannot be opened.")
            self.show_notice(text)
        elif entry is self.current:
            self.view.set_busy_text("Could not colorize this photo: see the message above")
            self.show_notice(text)
        else:
            self.statusBar().showMessage(f"{entry.name} failed (hover its thumbnail for the reason).", 10000)

    def _display_cancelled(self, entry: PhotoEntry) -> None:
        if entry.model in entry.cancelled and entry is self.current:
            self.view.set_busy_text("Cancelled · press F5 to colorize")
            self.statusBar().showMessage(f"{entry.name}: cancelled.", 5000)

    def _display_finished(self, entry: PhotoEntry) -> None:
        self._display_task = None
        entry.working = False
        self.strip.refresh(entry, entry.model)
        if self._display_wanted and not self._closing:
            self._start_display()
        else:
            self._pump_background()
        self._update_actions()

    def _show_why_not_colorized(self, entry: PhotoEntry, model: str) -> None:
        if model in entry.errors:
            self.view.set_busy_text("Could not colorize: press F5 to try again")
        elif not self.model_panel.is_ready():
            self.view.set_busy_text(f"{self._model_label(model)} is not installed")
            self._missing_model_notice(model)
        else:
            self.view.set_busy_text("Cancelled · press F5 to colorize")
        self.view.clear_after()

    def _weight_actions(self, model: str) -> tuple[tuple[str, Callable[[], None]], ...]:
        actions: list[tuple[str, Callable[[], None]]] = []
        if self.catalog.can_download(model):
            actions.append(("Download", self.model_panel.download))
        actions.append(("Import file…", self.model_panel.import_file))
        return tuple(actions)

    def _missing_model_notice(self, model: str) -> None:
        self.show_notice(
            f"The model {self._model_label(model)} is not installed: download it or import its "
            "weights file to colorize.",
            "warning",
            self._weight_actions(model),
        )

    def _weights_failed(self, text: str) -> None:
        """A failed download or import keeps both ways to get the model right where the problem shows."""
        self.show_notice(text, "error", self._weight_actions(self.model()))

    # ================================================================ background lane
    def _pump_background(self) -> None:
        """Colorize the next waiting photo while nothing on screen needs the CPU."""
        if (
            self._closing
            or self._bg_task is not None
            or self._display_task is not None
            or not self.model_panel.is_ready()
        ):
            return
        installed = {name for name, _ in self.model_panel.installed_models()}
        entry = next(
            (
                e
                for e in self.entries
                if e is not self.current
                and e.model in installed
                and e.state(e.model) is State.WAITING
                and e.model not in e.cancelled
            ),
            None,
        )
        if entry is None:
            return
        model = entry.model
        task = Task(
            f"Colorizing {entry.name}",
            predict_job(
                self.pool, entry.path, model, self.device(), entry.adjustment, self.hint_mode.hints_of(entry)
            ),
        )
        task.stage.connect(lambda kind, payload: self._background_stage(entry, model, kind, payload))
        task.error.connect(lambda text: self._failed(entry, model, text))
        task.finished.connect(lambda: self._background_finished(entry))
        self._bg_task, self._bg_entry = task, entry
        entry.working = True
        self.strip.refresh(entry, model)
        self.tracker.start(task)

    def _background_stage(self, entry: PhotoEntry, model: str, kind: str, payload: object) -> None:
        if model in entry.cancelled:
            return
        if kind == "hints":
            self.hint_mode.restored(entry, payload)  # type: ignore[arg-type]
        elif kind == "predicted":
            self._store(entry, payload)  # type: ignore[arg-type]
        elif kind in ("thumb", "scan_thumb"):
            if kind == "thumb":
                entry.thumb, entry.thumb_model = payload, model  # type: ignore[assignment]
            else:
                entry.scan_thumb = payload  # type: ignore[assignment]
            self.strip.refresh(entry, entry.model)

    def _load_scan_thumbs(self, entries: list[PhotoEntry]) -> None:
        """Every photo in the strip shows its scan from the start, read beside the colorizing."""
        waiting = [(e.id, e.path) for e in entries if e.scan_thumb is None]
        if not waiting or self._closing:
            return
        task = Task("Reading thumbnails", scan_thumbs_job(waiting))
        task.stage.connect(self._scan_thumb)
        self.tracker.start(task)

    def _scan_thumb(self, kind: str, payload: object) -> None:
        entry_id, image = payload  # type: ignore[misc]
        entry = self.entry(entry_id)
        if entry is not None and entry.scan_thumb is None:
            entry.scan_thumb = image
            self.strip.refresh(entry, entry.model)

    def _background_finished(self, entry: PhotoEntry) -> None:
        self._bg_task, self._bg_entry = None, None
        entry.working = False
        self.strip.refresh(entry, entry.model)
        self._pump_background()
        self._update_actions()

    # ================================================================ choices
    def _model_label(self, name: str) -> str:
        index = self.model_panel.combo.findData(name)
        return self.model_panel.combo.itemText(index).split("  (")[0] if index >= 0 else name

    def _model_changed(self, name: str) -> None:
        if self._restoring:
            return
        self.settings.model = name
        self.notice.dismiss()
        self.view.clear_after()
        if self.current is not None:  # the model is the current photo's own; the others keep theirs
            self.current.model = name
            self.strip.refresh(self.current, name)
        self._request_display()
        self.hint_mode.model_changed()
        self._update_actions()

    def _hints_changed(self, entry_id: int) -> None:
        """Every result of the photo followed the old points: colorize it again (the network only; the
        photo stays loaded), newest edit first."""
        entry = self.entry(entry_id)
        if entry is None:
            return
        entry.results.clear()
        entry.errors.clear()
        entry.cancelled.clear()  # an edit asks for the colours again, even after Esc
        entry.saved_key = None  # a file saved before the edit no longer shows the photo's colours
        self.strip.refresh(entry, self.model())
        if entry is self.current:
            self._request_display()
        self._update_actions()

    def _model_installed(self, name: str) -> None:
        if name == self.model():
            self._model_changed(name)

    def _device_changed(self, choice: str) -> None:
        self.settings.device = choice
        self._show_device()
        for entry in self.entries:  # a failure may have been the device's: let it be tried again
            entry.errors.clear()
            self.strip.refresh(entry, entry.model)
        self._request_display()

    def _show_device(self, running: str | None = None) -> None:
        if running:
            self.device_panel.show_running(running)
            self.device_label.setText(running)
        else:
            self.device_panel.show_planned()
            self.device_label.setText(self.device_panel.indicator.text().rstrip("."))

    def _strength_changed(self, _strength: float) -> None:
        if self._restoring:
            return
        if self.current is not None:
            self.current.adjustment = self.adjustment()
        if self.current is not None and self.model() in self.current.results:
            self._request_display()  # re-render from the stored prediction; the network is not re-run
        self._update_actions()

    def _engine_notice(self, text: str) -> None:
        """The engine fell back (a GPU failed): say so where the user looks, without a dialog."""
        self.statusBar().showMessage(text, 15000)
        self.show_notice(text, "warning")
        self._show_device("CPU (GPU failed)")

    def _focus_models(self) -> None:
        self.model_panel.combo.setFocus()
        self.model_panel.combo.showPopup()

    def _toggle_side(self, on: bool) -> None:
        self.view.set_mode(SIDE if on else SPLIT)

    def _toggle_original(self, on: bool) -> None:
        self.view.set_show_original(on)

    def _toggle_panel(self, on: bool) -> None:
        self.side_panel.setVisible(on)

    def step_photo(self, step: int) -> None:
        """Show the next (step 1) or previous (-1) photo of the strip, stopping at either end."""
        if self.current is None or self.current not in self.entries:
            return
        index = self.entries.index(self.current) + step
        if 0 <= index < len(self.entries):
            self.show_entry(self.entries[index])

    # ================================================================ cancel, recolorize
    def cancel_work(self) -> None:
        """Esc: stop what is running now after its current step; nothing half-done is kept.

        Only the photos being colorized at that moment are left alone (until F5); the other waiting
        photos still colorize, as the user asked for them.
        """
        self._display_wanted = False
        if self._display_task is not None and self.current is not None and self.current.working:
            self.current.cancelled.add(self.current.model)
        if self._bg_task is not None and self._bg_entry is not None:
            self._bg_entry.cancelled.add(self._bg_entry.model)
        for task in (self._display_task, self._bg_task, self._save_task):
            if task is not None:
                task.cancel()
        if self.tracker.busy():
            self.statusBar().showMessage("Stopping after the current step…")

    def recolorize(self) -> None:
        entry = self.current
        if entry is None:
            return
        entry.results.pop(self.model(), None)
        entry.errors.pop(self.model(), None)
        entry.cancelled.discard(self.model())
        self.view.clear_after()
        self._request_display()

    # ================================================================ saving
    def _default_name(self, entry: PhotoEntry, suffix: str | None = None) -> str:
        """'scan-colour.png' for scan.tif; a photo that already carries the suffix does not get it twice
        (never '-colour-colour'), and a name that would be the photo itself gets '-2'."""
        source_suffix = entry.path.suffix.lower()
        if suffix is None:
            suffix = source_suffix if source_suffix in SAVE_SUFFIXES else ".png"
        stem = entry.name if entry.temporary else entry.path.stem
        tag = self.export.suffix
        if tag and stem.endswith(tag):
            stem = stem[: -len(tag)]
        name = f"{stem}{tag}{suffix}"
        if not entry.temporary and entry.path.name.lower() == name.lower():
            name = f"{stem}{tag}-2{suffix}"
        return name

    def _save_folder(self, entry: PhotoEntry) -> str:
        """The last folder saved into, else the photo's own folder (never a temp folder)."""
        return self.settings.folder("save", None if entry.temporary else entry.path.parent)

    def _is_source(self, dest: Path) -> PhotoEntry | None:
        return next((e for e in self.entries if e.path.resolve() == dest.resolve()), None)

    def save(self) -> None:
        entry = self.current
        if entry is None or self.model() not in entry.results:
            return
        if entry.saved_to is not None and entry.saved_to.exists():
            self._start_save([(entry, entry.saved_to)])  # our own earlier export of this photo
        else:
            self.save_as()

    def save_as(self) -> None:
        entry = self.current
        if entry is None or self.model() not in entry.results:
            return
        start = Path(self._save_folder(entry)) / self._default_name(entry)
        while True:  # refusing an original's name asks again, as a save dialog that stays open
            selected = next(f for f, suffixes in SAVE_FILTERS.items() if start.suffix in suffixes)
            name, chosen = QFileDialog.getSaveFileName(
                self,
                "Save colorized photo",
                str(start),
                ";;".join(SAVE_FILTERS),
                selected,
                QFileDialog.Option.DontConfirmOverwrite,
            )
            if not name:
                return
            dest = Path(name)
            if dest.suffix.lower() not in SAVE_SUFFIXES:
                dest = dest.with_name(dest.name + SAVE_FILTERS.get(chosen, (".png",))[0])
            if self._is_source(dest) is None:
                break
            self.show_notice(
                f"{dest.name} is an original: ColorSphere never overwrites originals. Choose another name.",
                "warning",
            )
            start = dest.parent / self._default_name(entry, dest.suffix.lower())
        if (
            dest.exists()
            and dest != entry.saved_to
            and not self._confirm(
                "Replace file?", f"{dest} already exists. Replace it with the colorized photo?"
            )
        ):
            return
        self.settings.set_folder("save", dest.parent)
        self._start_save([(entry, dest)])

    def save_all(self) -> None:
        done = [e for e in self.entries if e.model in e.results]
        if not done:
            return
        folder = QFileDialog.getExistingDirectory(
            self, "Save all colorized photos into", self.settings.folder("save")
        )
        if not folder:
            return
        try:  # a folder typed into the dialog that is not there yet is made, as the user asked
            Path(folder).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.show_notice(f"Cannot create the folder {folder} ({exc.strerror}); choose another folder.")
            return
        self.settings.set_folder("save", folder)
        fmt = self.export.save_all_format
        pairs = [(e, Path(folder) / self._default_name(e, fmt)) for e in done]
        originals = [d for _, d in pairs if self._is_source(d) is not None]
        pairs = [(e, d) for e, d in pairs if self._is_source(d) is None]
        if originals:
            self.show_notice(
                f"{len(originals)} photo(s) were not saved: their names are originals.", "warning"
            )
        existing = [d for e, d in pairs if d.exists() and d != e.saved_to]
        if existing and not self._confirm(
            "Replace files?",
            f"{len(existing)} file(s) in {folder} already exist "
            f"({', '.join(d.name for d in existing[:3])}{'…' if len(existing) > 3 else ''}). Replace them?",
        ):
            return
        self._start_save(pairs)

    def _start_save(self, pairs: list[tuple[PhotoEntry, Path]]) -> None:
        if self._save_task is not None or not pairs:
            return
        items = [
            SaveItem(
                e.path,
                dest,
                e.results[e.model],
                self.loaded if e is self._loaded_entry else None,
                e.adjustment,
                e.model,
            )
            for e, dest in pairs
        ]
        by_dest = {dest: e for e, dest in pairs}
        keys = {e.id: (e.model, e.adjustment) for e, _ in pairs}  # as saved, whatever changes meanwhile

        def saved(kind: str, payload: object) -> None:
            if kind == "saved":
                entry = by_dest.get(payload) or by_dest.get(Path(str(payload)))  # type: ignore[arg-type]
                if entry is not None:
                    entry.saved_to, entry.saved_key = Path(str(payload)), keys[entry.id]
            elif kind == "warning":
                self.show_notice(str(payload), "warning")

        options = WriteOptions(self.export.jpeg_quality, self.export.tiff_compression)
        task = Task("Saving", save_job(items, options))
        task.stage.connect(saved)
        task.progress.connect(self._progress)
        task.result.connect(self._saved)
        task.error.connect(self.show_notice)
        task.cancelled.connect(
            lambda: self.statusBar().showMessage(
                "Saving cancelled: files already written are complete; nothing half-written was left.", 10000
            )
        )
        task.finished.connect(self._save_finished)
        self._save_task = task
        self.tracker.start(task)
        self._update_actions()

    def _saved(self, paths: list[Path]) -> None:
        where = str(paths[0]) if len(paths) == 1 else f"{len(paths)} files in {paths[0].parent}"
        self.statusBar().showMessage(f"Saved {where}.", 10000)
        self._written = paths

    def _save_finished(self) -> None:
        self._save_task = None
        self._update_actions()
        if self._written:  # announced once saving is possible again
            self.saved.emit(self._written)
            self._written = []
        if self._quit_after_save:
            self._quit_after_save = False
            if not any(e.unsaved() for e in self.entries):
                QTimer.singleShot(0, self.close)

    # ================================================================ per-photo choices, removing
    def _restore_look(self, entry: PhotoEntry) -> None:
        """Set the side panel to the photo's own model and adjustment, without re-rendering per slider."""
        self._restoring = True
        try:
            if entry.model:
                self.model_panel.set_current(entry.model)
            self.strength_panel.slider.setValue(round(entry.adjustment.strength * 100))
            self.adjust_panel.set_values(entry.adjustment.warmth, entry.adjustment.saturation)
        finally:
            self._restoring = False

    def apply_to_all(self) -> None:
        """Lightroom's "sync settings": every opened photo takes this photo's model and adjustment."""
        entry = self.current
        if entry is None:
            return
        for other in self.entries:
            other.model, other.adjustment = entry.model, entry.adjustment
            self.strip.refresh(other, other.model)
        self.statusBar().showMessage(
            f"All {len(self.entries)} photos now use {self._model_label(entry.model)} at "
            f"{entry.adjustment.strength:.0%} strength.",
            8000,
        )
        self._pump_background()
        self._update_actions()

    def remove_current(self) -> None:
        if self.current is not None:
            self.remove_entry(self.current)

    def _remove_by_id(self, entry_id: int) -> None:
        entry = self.entry(entry_id)
        if entry is not None:
            self.remove_entry(entry)

    def remove_entry(self, entry: PhotoEntry) -> bool:
        """Take a photo off the strip (its file stays); an unsaved result goes only if the user agrees."""
        if entry.unsaved() and not self._confirm(
            "Remove photo?",
            f"The colorized version of {entry.name} is not saved.\n\nRemove the photo from the list and "
            "discard its colorized version?",
        ):
            return False
        if entry is self._bg_entry and self._bg_task is not None:
            self._bg_task.cancel()
        index = self.entries.index(entry)
        self.entries.remove(entry)
        self.strip.remove(entry.id)
        if entry is self._loaded_entry:
            self.loaded, self._loaded_entry = None, None
        if entry is self.current:
            self.current = None
            self._display_wanted = False
            if self._display_task is not None:
                self._display_task.cancel()
            if self.entries:
                self.show_entry(self.entries[min(index, len(self.entries) - 1)])
            else:
                self.view.clear()
                self.strip.hide()
                self.photo_panel.details.setText("No photo")
                self.photo_panel.compare_button.setEnabled(False)
                self.setWindowTitle("ColorSphere")
        if entry.temporary:
            entry.path.unlink(missing_ok=True)
        self.statusBar().showMessage(f"Removed {entry.name} from the list (the file itself is kept).", 5000)
        self._update_actions()
        return True

    def export_options(self) -> None:
        dialog = ExportOptionsDialog(self.export, self)
        self.export_dialog = dialog
        if dialog.exec() == ExportOptionsDialog.DialogCode.Accepted:
            self.export = dialog.options()
            self.export.store(self.settings)
        self.export_dialog = None

    def show_guide(self) -> None:
        self.guide_window = show_user_guide(self)

    # ================================================================ dialogs
    def open_batch(self) -> None:
        old = self.batch_dialog
        if old is None or not (
            old.isVisible() or old.running()
        ):  # a fresh one lists the models installed now
            if old is not None:
                old.deleteLater()
            self.batch_dialog = BatchDialog(
                self.pool,
                self.model_panel.installed_models(),
                self.model(),
                self.device,
                self.strength(),
                self.tracker,
                self.settings,
                self,
            )
        self.batch_dialog.show()
        self.batch_dialog.raise_()
        self.batch_dialog.activateWindow()

    def compare_with_original(self) -> None:
        if self.loaded is None or self.current is None:
            return
        models = self.model_panel.installed_models()
        if not models:
            self.show_notice("No model is installed: download or import one to compare.", "warning")
            return
        dialog = CompareDialog(
            self.pool, self.loaded, self.current.name, models, self.device(), self.tracker, self
        )
        dialog.show()
        self.compare_dialog = dialog

    def show_about(self) -> None:
        about_dialog(self.catalog.statuses(), self).show()

    def show_shortcuts(self) -> None:
        actions = [
            (a.shortcut().toString(QKeySequence.SequenceFormat.NativeText), a.text().replace("&", ""))
            for a in self.actions()
            if not a.shortcut().isEmpty()
        ]
        shortcuts_dialog(actions, self).show()

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        self.recent_menu.setToolTipsVisible(True)
        recent = [Path(p) for p in self.settings.recent_files() if Path(p).exists()]
        for path in recent:
            folder = path.is_dir()
            action = self.recent_menu.addAction(
                action_icon("folder" if folder else "open"), f"{path.name}{' (folder)' if folder else ''}"
            )
            action.setToolTip(str(path))
            action.triggered.connect(lambda _=False, p=path: self.open_paths([p]))
        if not recent:
            self.recent_menu.addAction("No recent photos or folders").setEnabled(False)
        self.recent_menu.addSeparator()
        self.recent_menu.addAction("Clear List", self.settings.clear_recent)

    # ================================================================ feedback
    def show_notice(
        self, text: str, level: str = "error", actions: tuple[tuple[str, Callable[[], None]], ...] = ()
    ) -> None:
        self.notice.show_message(text, level, actions)
        if level != "info":
            self.statusBar().showMessage(text.splitlines()[0], 10000)

    def _progress(self, label: str, fraction: float) -> None:
        self._progress_message = label + "…"
        self.statusBar().showMessage(self._progress_message)
        self.progress.show()
        if fraction < 0:
            self.progress.setRange(0, 0)
        else:
            self.progress.setRange(0, 100)
            self.progress.setValue(round(fraction * 100))

    def _idle(self) -> None:
        self.progress.hide()
        if self.statusBar().currentMessage() == self._progress_message:
            self.statusBar().showMessage("Ready.", 3000)
        if self._closing:
            QTimer.singleShot(0, self.close)

    def _update_actions(self) -> None:
        entry, model = self.current, self.model()
        has_result = entry is not None and model in entry.results
        self.act_save.setEnabled(has_result and self._save_task is None)
        self.act_save_as.setEnabled(has_result and self._save_task is None)
        self.act_save_all.setEnabled(
            any(e.model in e.results for e in self.entries) and self._save_task is None
        )
        self.act_remove.setEnabled(entry is not None)
        self.act_apply_all.setEnabled(len(self.entries) > 1)
        done = sum(e.model in e.results for e in self.entries)
        self.overall.setText(f"{done} of {len(self.entries)} colorized" if self.entries else "")
        self.act_recolorize.setEnabled(entry is not None and self.model_panel.is_ready())
        self.act_cancel.setEnabled(
            any(t is not None for t in (self._display_task, self._bg_task, self._save_task))
        )
        self.act_compare.setEnabled(self.loaded is not None)
        shown = self.view.has_photo()  # nothing to fit, zoom or compare before a photo is on screen
        for action in (self.act_fit, self.act_actual, self.act_zoom_in, self.act_zoom_out, self.act_side):
            action.setEnabled(shown)
        self.act_original.setEnabled(shown)
        self.hold_button.setEnabled(shown)
        position = self.entries.index(entry) if entry in self.entries else -1
        self.act_next.setEnabled(0 <= position < len(self.entries) - 1)
        self.act_previous.setEnabled(position > 0)

    def _confirm(self, title: str, text: str) -> bool:
        """Yes/No with No as the default: Enter, pressed out of habit, must never replace or discard."""
        buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
        answer = QMessageBox.question(self, title, text, buttons, QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    # ================================================================ drag and drop, closing
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt's name
        mime = event.mimeData()
        if (mime.hasUrls() and any(u.isLocalFile() for u in mime.urls())) or mime.hasImage():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        mime = event.mimeData()
        files = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
        if files:
            self.open_paths(files)
        elif mime.hasImage():
            self.paste_image(QImage(mime.imageData()))
        event.acceptProposedAction()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        """Fit again once shown: only then are the window manager's title bar and borders known."""
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            self._fit_on_screen()
            QTimer.singleShot(0, self._fit_on_screen)  # a window manager may add its frame a moment later

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        """In a narrow window the side panel gives way first: at most a third of the width."""
        super().resizeEvent(event)
        photo, side = self.splitter.sizes()
        third = max(SIDE_PANEL_MIN_WIDTH, (photo + side) // 3)
        if side > third:
            self.splitter.setSizes([photo + side - third, third])

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if not self._quit_confirmed:
            if not self._agree_to_quit():
                event.ignore()
                return
            self._quit_confirmed = True
        if self.tracker.busy():
            # Stop after the current step and come back here when every thread has returned.
            self._closing = True
            self.tracker.cancel_all()
            self.setEnabled(False)
            self.statusBar().showMessage("Finishing the current step before closing…")
            event.ignore()
            return
        self._save_settings()
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
        event.accept()

    def _agree_to_quit(self) -> bool:
        unsaved = [e for e in self.entries if e.unsaved()]
        reasons = []
        if self.tracker.busy():
            reasons.append(f"ColorSphere is still working ({', '.join(sorted(set(self.tracker.labels())))}).")
        if unsaved:
            reasons.append(
                f"{len(unsaved)} colorized photo(s) are not saved"
                + (" (pasted pictures are lost on quitting)." if any(e.temporary for e in unsaved) else ".")
            )
        if not reasons:
            return True
        if not unsaved:
            return self._confirm("Quit ColorSphere?", "\n".join(reasons) + "\n\nStop and quit anyway?")
        box = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self,
            "Quit ColorSphere?",
            "\n".join(reasons) + "\n\nSave All saves them into a folder of your choice and then quits; "
            "Discard quits without saving them.",
            box.SaveAll | box.Discard | box.Cancel,
            box.Cancel,  # Enter keeps the work
        )
        if answer == box.SaveAll:
            self.save_all()
            self._quit_after_save = self._save_task is not None
            return False
        return answer == box.Discard
