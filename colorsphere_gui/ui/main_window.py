"""The main window: open photos, watch them colorize, compare, switch model, export.

Two lanes of work run beside the GUI thread. The display lane brings the current photo on screen
(read, colorize, preview, full resolution) and is restarted whenever what should be on screen changes
(another photo, model, strength): the newest request wins, the old one stops after its current step.
The background lane colorizes the other opened photos one by one while the display lane is idle, so
the strip fills up with results without slowing down the photo being looked at.
"""

from __future__ import annotations

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
    QImage,
    QKeySequence,
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

from colorsphere_gui.core.photo import SUPPORTED_EXTENSIONS

from .about import about_dialog, shortcuts_dialog
from .batch_dialog import BatchDialog
from .catalog import ModelCatalog
from .compare_dialog import CompareDialog
from .compare_view import FULL, PREVIEW, SIDE, SPLIT, CompareView
from .controls import DevicePanel, PhotoPanel, StrengthPanel
from .hint_mode import HintMode
from .icons import action_icon, app_icon
from .jobs import (
    Colorized,
    DisplayRequest,
    LoadedPhoto,
    SaveItem,
    display_job,
    expand_job,
    paste_job,
    predict_job,
    save_job,
)
from .model_panel import ModelPanel
from .notice import NoticeBar
from .photos import PhotoEntry, PhotoStrip, State
from .settings import MAX_RECENT, Settings
from .workers import ColorizerFactory, ColorizerPool, Task, TaskTracker

SAVE_FILTERS = {
    "PNG (*.png)": (".png",),
    "JPEG (*.jpg *.jpeg)": (".jpg", ".jpeg"),
    "TIFF (*.tif *.tiff)": (".tif", ".tiff"),
}
SAVE_SUFFIXES = tuple(s for suffixes in SAVE_FILTERS.values() for s in suffixes)
MIN_PREVIEW, MAX_PREVIEW = 1024, 3840
SIDE_PANEL_WIDTH = 290


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
        self._paused = False
        self._closing = False
        self._quit_confirmed = False
        self._temp_dir: Path | None = None
        self._paste_count = 0
        self._progress_message = ""
        self._written: list[Path] = []
        self._gpu = self.catalog.gpu_backend()
        self.batch_dialog: BatchDialog | None = None
        self.compare_dialog: CompareDialog | None = None

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
        self.view.zoom_changed.connect(
            lambda pct: self.zoom_label.setText(f"{pct:.0f} %" if self.view.has_photo() else "")
        )
        self.strip = PhotoStrip()
        self.strip.photo_chosen.connect(self._chosen)
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
        self.device_panel = DevicePanel(self.catalog.gpu_name() if self._gpu else "")
        self.device_panel.device_changed.connect(self._device_changed)
        self.strength_panel = StrengthPanel()
        self.strength_panel.strength_changed.connect(self._strength_changed)
        self.photo_panel = PhotoPanel()
        self.photo_panel.compare_button.clicked.connect(self.compare_with_original)
        batch = QPushButton(action_icon("batch"), "Batch restore a folder…")
        batch.setAccessibleName("Batch restore a folder")
        batch.clicked.connect(self.open_batch)
        self.hint_mode = HintMode(self)
        self.hint_mode.changed.connect(self._hints_changed)
        self.hint_mode.message.connect(self.show_notice)

        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(6, 6, 6, 6)
        for widget in (self.model_panel, self.device_panel, self.strength_panel, self.photo_panel):
            side_layout.addWidget(widget)
        side_layout.insertWidget(1, self.hint_mode.panel)  # below the model, which decides how hints work
        side_layout.addStretch(1)
        side_layout.addWidget(batch)
        scroll = QScrollArea()
        scroll.setWidget(side)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(SIDE_PANEL_WIDTH)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(scroll)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 0)
        self.splitter.setCollapsible(0, False)
        self.setCentralWidget(self.splitter)

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
        action.triggered.connect(slot)
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

        self.act_recolorize = a(
            "&Recolorize", self.recolorize, "F5", "recolorize", "Run the model again on this photo"
        )
        self.act_cancel = a("&Cancel", self.cancel_work, "Esc", "cancel", "Stop after the current step")
        self.act_models = a("Choose &Model…", self._focus_models, "Ctrl+M", None, "Choose or install a model")
        self.act_compare = a(
            "Compare with &Original…",
            self.compare_with_original,
            "Ctrl+K",
            None,
            "Score each model against a colour photo",
        )
        self.act_about = a("&About ColorSphere", self.show_about, None, "info")
        self.act_shortcuts = a(
            "&Keyboard Shortcuts", self.show_shortcuts, QKeySequence.StandardKey.HelpContents
        )

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        file.addActions([self.act_open, self.act_open_folder])
        self.recent_menu = QMenu("Open &Recent", self)
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        file.addMenu(self.recent_menu)
        file.addAction(self.act_paste)
        file.addSeparator()
        file.addActions([self.act_save, self.act_save_as, self.act_save_all])
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
        colorize = bar.addMenu("&Colorize")
        colorize.addActions([self.act_recolorize, self.act_cancel])
        colorize.addSeparator()
        colorize.addActions([self.act_models, self.act_compare])
        help_menu = bar.addMenu("&Help")
        help_menu.addActions([self.act_shortcuts, self.act_about])

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
        status = self.statusBar()
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(180)
        self.progress.setTextVisible(False)
        self.progress.setAccessibleName("Progress")
        self.progress.hide()
        self.zoom_label = QLabel("")
        self.zoom_label.setAccessibleName("Zoom")
        self.device_label = QLabel("")
        self.device_label.setAccessibleName("Device in use")
        status.addPermanentWidget(self.progress)
        status.addPermanentWidget(self.zoom_label)
        status.addPermanentWidget(self.device_label)
        status.showMessage("Drop photos or folders to begin.")

    # ================================================================ settings
    def _restore_settings(self) -> None:
        geometry = self.settings.geometry("geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1280, 820)
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

    def displaying(self) -> bool:
        return self._display_task is not None

    def _preview_side(self) -> int:
        screen = self.screen()
        size = screen.size() * screen.devicePixelRatio()
        return min(MAX_PREVIEW, max(MIN_PREVIEW, size.width(), size.height()))

    # ================================================================ opening
    def open_paths(self, paths: list[Path | str]) -> None:
        """Open files and folders (searched recursively); the first photo is shown and colorized."""
        task = Task("Looking for photos", expand_job([Path(p) for p in paths]))
        task.result.connect(lambda found: self._add_files(*found))
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

    def _add_files(self, files: list[Path], ignored: list[Path]) -> None:
        if ignored:
            names = ", ".join(p.name for p in ignored[:3]) + ("…" if len(ignored) > 3 else "")
            self.show_notice(
                f"{len(ignored)} item(s) are not photos ColorSphere can open and were left out: {names}",
                "warning",
            )
        if not files:
            if not ignored:
                self.show_notice("No photos were found there.", "info")
            return
        known = {e.path.resolve(): e for e in self.entries}
        fresh: list[PhotoEntry] = []
        for path in files:
            if path.resolve() not in known:
                entry = PhotoEntry(path, path.name)
                known[path.resolve()] = entry
                fresh.append(entry)
        for path in reversed(files[:MAX_RECENT]):
            self.settings.add_recent(path)
        first = known[files[0].resolve()]
        self._add_entries(fresh, first)

    def _add_entries(self, fresh: list[PhotoEntry], first: PhotoEntry | None = None) -> None:
        for entry in fresh:
            self.entries.append(entry)
            self.strip.add(entry, self.model())
        self.strip.setVisible(bool(self.entries))
        self._paused = False
        self.photos_added.emit([e.id for e in fresh])
        target = first or (fresh[0] if fresh else None)
        if target is not None:
            self.show_entry(target)
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
            self.photo_panel.details.setText(entry.name)
            self.photo_panel.compare_button.setEnabled(False)
            self.setWindowTitle(f"{entry.name} — ColorSphere")
            self.hint_mode.show(entry)
        self.strip.select(entry.id)
        self.view.setFocus()
        if self._bg_task is not None and self._bg_entry is entry:
            self._bg_task.cancel()  # the display lane takes this photo over
        self._request_display()

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
        ab = entry.results.get(model)
        loaded = self.loaded if self._loaded_entry is entry else None
        colorize = (
            ab is None and self.model_panel.is_ready() and not self._paused and model not in entry.errors
        )
        if ab is None and not colorize:
            self._show_why_not_colorized(entry, model)
            if loaded is not None:
                return  # the photo is on screen and there is nothing to run
        req = DisplayRequest(
            entry.path,
            model,
            self.device(),
            self.strength(),
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
            if entry.thumb is None:
                entry.thumb = payload.before_thumb
                self.strip.refresh(entry, self.model())
            if entry is self.current:
                self.loaded, self._loaded_entry = payload, entry
                self.view.set_photo(QSize(*payload.photo.size), payload.before_preview, payload.before_full)
                self.photo_panel.details.setText(f"<b>{entry.name}</b><br>{payload.describe()}")
                self.photo_panel.compare_button.setEnabled(payload.is_colour)
                self._update_actions()
                self.photo_shown.emit(entry.id)
        elif kind == "hints":
            self.hint_mode.restored(entry, payload)  # type: ignore[arg-type]
        elif kind == "predicted" and not self._paused:  # after Cancel, a late result is dropped
            self._store(entry, payload)  # type: ignore[arg-type]
        elif kind == "thumb" and not self._paused:
            entry.thumb = payload  # type: ignore[assignment]
            self.strip.refresh(entry, self.model())
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
        self.strip.refresh(entry, self.model())
        self._show_device(result.device)
        self._update_actions()

    def _failed(self, entry: PhotoEntry, model: str, text: str) -> None:
        entry.errors[model] = text
        entry.working = False
        self.strip.refresh(entry, self.model())
        if entry is self.current:
            self.view.set_busy_text("Could not colorize this photo: see the message above")
            self.show_notice(text)
        else:
            self.statusBar().showMessage(f"{entry.name} failed (hover its thumbnail for the reason).", 10000)

    def _display_cancelled(self, entry: PhotoEntry) -> None:
        if self._paused:
            self.view.set_busy_text("Cancelled · press F5 to colorize")
            self.statusBar().showMessage("Cancelled.", 5000)

    def _display_finished(self, entry: PhotoEntry) -> None:
        self._display_task = None
        entry.working = False
        self.strip.refresh(entry, self.model())
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

    def _missing_model_notice(self, model: str) -> None:
        actions: list[tuple[str, Callable[[], None]]] = []
        if self.catalog.can_download(model):
            actions.append(("Download", self.model_panel.download))
        actions.append(("Import file…", self.model_panel.import_file))
        self.show_notice(
            f"The model {self._model_label(model)} is not installed: download it or import its "
            "weights file to colorize.",
            "warning",
            tuple(actions),
        )

    # ================================================================ background lane
    def _pump_background(self) -> None:
        """Colorize the next waiting photo while nothing on screen needs the CPU."""
        if (
            self._paused
            or self._closing
            or self._bg_task is not None
            or self._display_task is not None
            or not self.model_panel.is_ready()
        ):
            return
        model = self.model()
        entry = next(
            (e for e in self.entries if e is not self.current and e.state(model) is State.WAITING), None
        )
        if entry is None:
            return
        task = Task(
            f"Colorizing {entry.name}",
            predict_job(
                self.pool, entry.path, model, self.device(), self.strength(), self.hint_mode.hints_of(entry)
            ),
        )
        task.stage.connect(lambda kind, payload: self._background_stage(entry, kind, payload))
        task.error.connect(lambda text: self._failed(entry, model, text))
        task.finished.connect(lambda: self._background_finished(entry))
        self._bg_task, self._bg_entry = task, entry
        entry.working = True
        self.strip.refresh(entry, model)
        self.tracker.start(task)

    def _background_stage(self, entry: PhotoEntry, kind: str, payload: object) -> None:
        if self._paused:
            return
        if kind == "hints":
            self.hint_mode.restored(entry, payload)  # type: ignore[arg-type]
        elif kind == "predicted":
            self._store(entry, payload)  # type: ignore[arg-type]
        elif kind == "thumb":
            entry.thumb = payload  # type: ignore[assignment]
            self.strip.refresh(entry, self.model())

    def _background_finished(self, entry: PhotoEntry) -> None:
        self._bg_task, self._bg_entry = None, None
        entry.working = False
        self.strip.refresh(entry, self.model())
        self._pump_background()
        self._update_actions()

    # ================================================================ choices
    def _model_label(self, name: str) -> str:
        index = self.model_panel.combo.findData(name)
        return self.model_panel.combo.itemText(index).split("  (")[0] if index >= 0 else name

    def _model_changed(self, name: str) -> None:
        self.settings.model = name
        self.notice.dismiss()
        self.view.clear_after()
        for entry in self.entries:
            self.strip.refresh(entry, name)
        if self._bg_task is not None:
            self._bg_task.cancel()
        self._paused = False
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
        entry.saved_key = None  # a file saved before the edit no longer shows the photo's colours
        self.strip.refresh(entry, self.model())
        if entry is self.current:
            self._paused = False
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
            self.strip.refresh(entry, self.model())
        self._paused = False
        self._request_display()

    def _show_device(self, running: str | None = None) -> None:
        if running:
            self.device_panel.show_running(running)
            self.device_label.setText(running)
        else:
            self.device_panel.show_planned()
            self.device_label.setText(self.device_panel.indicator.text().rstrip("."))

    def _strength_changed(self, _strength: float) -> None:
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

    # ================================================================ cancel, recolorize
    def cancel_work(self) -> None:
        """Stop colorizing and saving after the current step; nothing half-done is kept."""
        self._paused = True
        self._display_wanted = False
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
        self._paused = False
        self.view.clear_after()
        self._request_display()

    # ================================================================ saving
    def _default_name(self, entry: PhotoEntry, suffix: str | None = None) -> str:
        source_suffix = entry.path.suffix.lower()
        if suffix is None:
            suffix = source_suffix if source_suffix in SAVE_SUFFIXES else ".png"
        stem = entry.name if entry.temporary else entry.path.stem
        return f"{stem}-colour{suffix}"

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
        if self._is_source(dest) is not None:
            self.show_notice(
                f"{dest.name} is an original: ColorSphere never overwrites originals. Choose another name.",
                "warning",
            )
            return
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
        done = [e for e in self.entries if self.model() in e.results]
        if not done:
            return
        folder = QFileDialog.getExistingDirectory(
            self, "Save all colorized photos into", self.settings.folder("save")
        )
        if not folder:
            return
        self.settings.set_folder("save", folder)
        pairs = [(e, Path(folder) / self._default_name(e)) for e in done]
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
        model, strength = self.model(), self.strength()
        items = [
            SaveItem(e.path, dest, e.results[model], self.loaded if e is self._loaded_entry else None)
            for e, dest in pairs
        ]
        by_dest = {dest: e for e, dest in pairs}

        def saved(kind: str, payload: object) -> None:
            if kind == "saved":
                entry = by_dest.get(payload) or by_dest.get(Path(str(payload)))  # type: ignore[arg-type]
                if entry is not None:
                    entry.saved_to, entry.saved_key = Path(str(payload)), (model, strength)
            elif kind == "warning":
                self.show_notice(str(payload), "warning")

        task = Task("Saving", save_job(items, strength, model))
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
        if self.loaded is None or self.current is None or not self.loaded.is_colour:
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
        recent = [Path(p) for p in self.settings.recent_files() if Path(p).exists()]
        for path in recent:
            action = self.recent_menu.addAction(path.name)
            action.setToolTip(str(path))
            action.triggered.connect(lambda _=False, p=path: self.open_paths([p]))
        if not recent:
            self.recent_menu.addAction("No recent photos").setEnabled(False)
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
            any(model in e.results for e in self.entries) and self._save_task is None
        )
        self.act_recolorize.setEnabled(entry is not None and self.model_panel.is_ready())
        self.act_cancel.setEnabled(
            any(t is not None for t in (self._display_task, self._bg_task, self._save_task))
        )
        self.act_compare.setEnabled(self.loaded is not None and self.loaded.is_colour)

    def _confirm(self, title: str, text: str) -> bool:
        return QMessageBox.question(self, title, text) == QMessageBox.StandardButton.Yes

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
        model, strength = self.model(), self.strength()
        unsaved = [e for e in self.entries if e.unsaved(model, strength)]
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
        return self._confirm("Quit ColorSphere?", "\n".join(reasons) + "\n\nStop and quit anyway?")
