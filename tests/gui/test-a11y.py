#!/usr/bin/env python3
"""test-a11y.py: Blockscope as a screen reader meets it, over AT-SPI.

Starts the built app (the path is the first argument) on the X server it
is given (tests/gui/meson.build runs it in xvfb-run) and in a session bus
of its own (dbus-run-session), with settings for a quick computation:
ResNet-20 against ResNet-56 on 64 synthetic images. Then, through the accessibility bus only,
as Orca would:

- the window's buttons all have names, none of them a GTK type name or a
  label with its mnemonic underscore;
- the Compute button's action computes, and the heatmap appears as an image
  labelled "CKA between ResNet-20 and ResNet-56, 71 by 197 layers";
- Tab (real key presses through the X server) moves the focus round the
  window and reaches the model and data set buttons, Compute, the options
  and the main menu, the heatmap and its zoom buttons (and, once a cell is
  selected, the inspector's chart);
- on the focused heatmap, Up selects the first cell and the new description
  arrives as an object:property-change:accessible-description event:
  "Row: input, column: input, CKA 1.000" (both models see the same images,
  so their inputs agree exactly); Page Up jumps to the first layer of
  stage 1 of model A, Page Down back, each announced the same way, the
  value agreeing with the inspector's;
- the profile chart is an image whose description gives both lines' range,
  the column profile peaking at 1.000 at the input;
- Ctrl+Q closes the app, which exits with status 0.

Prints TAP. Needs at-spi2-core (the accessibility bus), dbus-daemon,
gir1.2-atspi-2.0 and python3-gi; a missing one is a failure, not a skip.
"""

import os
import re
import signal
import subprocess
import sys
import tempfile
import time

try:
    import gi

    gi.require_version("Atspi", "2.0")
    from gi.repository import Atspi, GLib
except (ImportError, ValueError) as e:
    print(f"Bail out! {e}: this test needs python3-gi and gir1.2-atspi-2.0 (and at-spi2-core) "
          f"for {sys.executable}", flush=True)
    sys.exit(1)

TIMEOUT_S = 60          # for the app to appear and to compute
EVENT_TIMEOUT_S = 10    # for one announcement or focus change

KEY_TAB = 0xFF09
KEY_UP = 0xFF52
KEY_PAGE_UP = 0xFF55
KEY_PAGE_DOWN = 0xFF56

SETTINGS = """[org/blockscope/Blockscope]
model-a='resnet20'
model-b='resnet56'
dataset='synthetic'
passes=uint32 1
batch-size=uint32 32
image-limit=uint32 64
"""

HEATMAP_NAME = "CKA between ResNet-20 and ResNet-56, 71 by 197 layers"

results = []


# Both layers' PC1 shares with their standard errors, as the heatmap's description ends.
SHARES = (r"PC1 share of the row layer [01]\.\d{3} ± 0\.\d{3}, "
          r"of the column layer [01]\.\d{3} ± 0\.\d{3}\.")


def check(ok, title, detail=""):
    results.append(ok)
    print(f"{'ok' if ok else 'not ok'} {len(results)} {title}", flush=True)
    if not ok and detail:
        for line in str(detail).splitlines():
            print(f"#   {line}", flush=True)
    return ok


def wait_for(condition, timeout, what):
    """Runs the main context (AT-SPI's events arrive there) until condition
    returns something true; returns it, or raises after timeout seconds."""
    context = GLib.MainContext.default()
    deadline = time.monotonic() + timeout
    # Wakes the blocking iteration now and then, for conditions that change
    # in another process without an event this process listens to.
    tick = GLib.timeout_add(50, lambda: True)
    try:
        while True:
            value = condition()
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {what} within {timeout} s")
            context.iteration(True)
    finally:
        GLib.source_remove(tick)


def walk(node):
    yield node
    for i in range(node.get_child_count()):
        child = node.get_child_at_index(i)
        if child is not None:
            yield from walk(child)


def find(root, role, name=None, pattern=None):
    for node in walk(root):
        if node.get_role_name() != role:
            continue
        if name is not None and node.get_name() != name:
            continue
        if pattern is not None and not re.fullmatch(pattern, node.get_name() or ""):
            continue
        return node
    return None


def find_app(pid):
    desktop = Atspi.get_desktop(0)
    for i in range(desktop.get_child_count()):
        app = desktop.get_child_at_index(i)
        if app is not None and app.get_process_id() == pid and app.get_child_count() > 0:
            return app
    return None


def press(keysym):
    Atspi.generate_keyboard_event(keysym, None, Atspi.KeySynthType.SYM)


def press_ctrl_q():
    Atspi.generate_keyboard_event(1 << Atspi.ModifierType.CONTROL, None, Atspi.KeySynthType.LOCKMODIFIERS)
    press(ord("q"))
    Atspi.generate_keyboard_event(1 << Atspi.ModifierType.CONTROL, None, Atspi.KeySynthType.UNLOCKMODIFIERS)


def bad_button_name(name):
    """Why a button's accessible name would fail a screen reader user, or None."""
    if not name or not name.strip():
        return "no name"
    if re.fullmatch(r"(Gtk|Bs|Adw)[A-Z]\w*", name):
        return "the widget's type name"
    if re.search(r"(^|\s)_\w", name):
        return "a mnemonic underscore"
    words = name.split()
    if len(words) >= 2 and len(words) % 2 == 0 and words[: len(words) // 2] == words[len(words) // 2:]:
        return "said twice"
    return None


def check_button_names(app, when):
    bad = []
    count = 0
    for node in walk(app):
        if node.get_role_name() in ("push button", "toggle button", "check box", "radio button"):
            count += 1
            why = bad_button_name(node.get_name())
            if why:
                bad.append(f"{node.get_role_name()} {node.get_name()!r}: {why}")
    check(count > 0 and not bad, f"every button has a name for screen readers ({count} buttons, {when})",
          "\n".join(bad))


class Recorder:
    """Keeps the AT-SPI events of some types, in order."""

    def __init__(self, *types):
        self.events = []
        self.listener = Atspi.EventListener.new(self.on_event)
        for t in types:
            self.listener.register(t)

    def on_event(self, event):
        try:
            name = event.source.get_name()
            role = event.source.get_role_name()
        except GLib.Error:
            name = role = None
        self.events.append((event.type, role, name, event.detail1, event.any_data))

    def wait(self, predicate, what):
        """The first event (after those already seen) that predicate accepts."""
        start = len(self.events)

        def found():
            for e in self.events[start:]:
                if predicate(e):
                    return e
            return None

        try:
            return wait_for(found, EVENT_TIMEOUT_S, what)
        except TimeoutError:
            raise TimeoutError(f"no {what} within {EVENT_TIMEOUT_S} s; events seen: {self.events[start:]}")


def main():
    if len(sys.argv) != 2:
        print(f"usage: {sys.argv[0]} PATH-TO-BLOCKSCOPE", file=sys.stderr)
        return 2
    blockscope = sys.argv[1]

    # A session bus of its own, which ends with the test: the accessibility
    # bus (at-spi2-core's org.a11y.Bus) starts on demand inside it.
    # The daemons it starts write to their stdout: they get stderr, and the
    # TAP goes to this process's stdout through a descriptor of its own.
    if "BS_A11Y_TEST_TAP_FD" not in os.environ:
        tap = os.dup(sys.stdout.fileno())
        env = dict(os.environ, BS_A11Y_TEST_TAP_FD=str(tap))
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        try:
            return subprocess.run(["dbus-run-session", "--", sys.executable, os.path.abspath(__file__),
                                   blockscope], env=env, stdout=sys.stderr, pass_fds=[tap]).returncode
        except FileNotFoundError:
            print("Bail out! dbus-run-session is missing (Debian package dbus-daemon)", flush=True)
            return 1
    sys.stdout = os.fdopen(int(os.environ.pop("BS_A11Y_TEST_TAP_FD")), "w")

    Atspi.init()
    config = tempfile.TemporaryDirectory(prefix="bs-a11y-")
    os.makedirs(os.path.join(config.name, "glib-2.0", "settings"))
    with open(os.path.join(config.name, "glib-2.0", "settings", "keyfile"), "w") as f:
        f.write(SETTINGS)

    env = dict(os.environ)
    # The app talks to the accessibility bus as a desktop session's would.
    for key in ("GTK_A11Y", "NO_AT_BRIDGE"):
        env.pop(key, None)
    env.update({"GSETTINGS_BACKEND": "keyfile", "XDG_CONFIG_HOME": config.name, "GDK_BACKEND": "x11"})

    app_process = subprocess.Popen([blockscope], env=env)
    try:
        return run(app_process)
    finally:
        # The plan at the end; none ("1..0" would be a skip) when nothing ran.
        if results:
            print(f"1..{len(results)}", flush=True)
        if app_process.poll() is None:
            app_process.send_signal(signal.SIGTERM)
            app_process.wait(TIMEOUT_S)
        config.cleanup()


def run(app_process):
    focus = Recorder("object:state-changed:focused")
    descriptions = Recorder("object:property-change:accessible-description")

    def app_appeared():
        if app_process.poll() is not None:
            raise RuntimeError(f"the app exited with status {app_process.returncode} before it appeared")
        return find_app(app_process.pid)

    app = wait_for(app_appeared, TIMEOUT_S, "Blockscope on the AT-SPI desktop")
    frame = wait_for(lambda: find(app, "frame", "Blockscope"), TIMEOUT_S, "window")
    check(frame is not None, "the window is a frame named Blockscope")
    check_button_names(app, "at start")

    # Compute, through the button's accessible action.
    compute = find(app, "push button", "Compute")
    if not check(compute is not None and Atspi.Action.get_n_actions(compute) > 0,
                 "the Compute button has an action"):
        return 1
    compute.do_action(0)
    heatmap = wait_for(lambda: find(app, "image", pattern=r"CKA between .*"), TIMEOUT_S, "heatmap")
    check(heatmap.get_name() == HEATMAP_NAME, "the heatmap is an image named by its models and size",
          f"name: {heatmap.get_name()!r}")
    wait_for(lambda: find(app, "label", pattern=r"Done · .*"), TIMEOUT_S, "end of the computation")
    check_button_names(app, "with the heatmap")

    # Tab round the window, from wherever the focus is, to the heatmap.
    def focused(e):
        return e[0] == "object:state-changed:focused" and e[3] == 1

    # Once round, from wherever the focus is back to it.
    reached = []
    for _ in range(60):
        press(KEY_TAB)
        name = focus.wait(focused, "focus change after Tab")[2]
        if reached and name == reached[0]:
            break
        reached.append(name)
    wanted = ["Model A: ResNet-20", "Model B: ResNet-56", "Data set: Synthetic", "Compute",
              "Computation Options", "Main Menu", HEATMAP_NAME, "Zoom Out", "Show Everything", "Zoom In"]
    missing = [w for w in wanted if w not in reached]
    check(not missing, "Tab goes round the window, by every button, the heatmap and its zoom buttons",
          f"missing: {missing}\nreached: {reached}")

    # On to the heatmap, and its keys.
    while reached[0] != HEATMAP_NAME and focus.events[-1][2] != HEATMAP_NAME:
        press(KEY_TAB)
        focus.wait(focused, "focus change after Tab")

    def announced(pattern):
        def accept(e):
            return (e[0] == "object:property-change:accessible-description" and e[2] == HEATMAP_NAME and
                    re.fullmatch(pattern, e[4] or "") is not None)
        return accept

    press(KEY_UP)
    event = descriptions.wait(announced(r"Row: .*"), "announcement of the selected cell")
    # The computation has the PC1 analysis (on by default): the description
    # adds both layers' PC1 shares.
    check(re.fullmatch(r"Row: input, column: input, CKA 1\.000\. " + SHARES, event[4]) is not None,
          "Up selects the first cell and the screen reader hears it, with the PC1 shares", f"heard: {event[4]!r}")

    press(KEY_PAGE_UP)
    event = descriptions.wait(announced(r"Row: layer1.*"), "announcement after Page Up")
    match = re.fullmatch(r"Row: layer1\.0\.conv1, column: input, CKA (\d\.\d{3})\. " + SHARES, event[4])
    check(match is not None, "Page Up jumps to the first layer of stage 1 of model A, announced",
          f"heard: {event[4]!r}")
    # The inspector shows the same cell: its value label reads the same.
    value = match.group(1) if match else None
    check(value is not None and find(app, "label", value) is not None and
          find(app, "label", "layer1.0.conv1") is not None,
          "the inspector shows the announced layer and value", f"value {value}")

    press(KEY_PAGE_DOWN)
    event = descriptions.wait(announced(r"Row: input.*"), "announcement after Page Down")
    check(re.fullmatch(r"Row: input, column: input, CKA 1\.000\. " + SHARES, event[4]) is not None,
          "Page Down jumps back to the stem, announced", f"heard: {event[4]!r}")

    # With a cell selected, Tab goes on from the heatmap to the inspector and its chart.
    for _ in range(10):
        press(KEY_TAB)
        if focus.wait(focused, "focus change after Tab")[2] == "Row and column profiles":
            break
    chart = find(app, "image", "Row and column profiles")
    check(chart is not None and chart.get_state_set().contains(Atspi.StateType.FOCUSED),
          "Tab reaches the profile chart in the inspector")
    description = chart.get_description() if chart else ""
    check(re.fullmatch(r"input of ResNet-20 against every layer of ResNet-56: CKA from \d\.\d{3} at \S+ to "
                       r"1\.000 at input\. Every layer of ResNet-20 against input of ResNet-56: CKA from "
                       r"\d\.\d{3} at \S+ to 1\.000 at input\.", description or "") is not None,
          "the profile chart describes both lines", f"description: {description!r}")

    press_ctrl_q()
    try:
        status = app_process.wait(TIMEOUT_S)
    except subprocess.TimeoutExpired:
        status = None
    check(status == 0, "Ctrl+Q closes the app", f"exit status {status}")

    return 0 if all(results) else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (TimeoutError, RuntimeError) as e:
        print(f"Bail out! {e}", flush=True)
        sys.exit(1)
