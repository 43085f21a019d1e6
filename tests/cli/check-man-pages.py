#!/usr/bin/env python3
"""check-man-pages.py: the manual pages of blockscope-cli, as built. TAP output.

  check-man-pages.py render PAGE...
      Every page formats without a warning, with groff -ww and, when man-db is
      installed, with man --warnings; every request line is one the pages are
      expected to use (a text line that starts with a dot would be eaten as a
      request); no word is hyphenated at the end of a line.

  check-man-pages.py options CLI PAGE...
      Every option of every command's --help is a term of the options section
      of its page, written the same way ("-m, --model=MODEL"), and every term
      there is an option of --help; the commands of `blockscope-cli --help`
      have their pages and are listed in blockscope-cli(1).
"""

import os
import re
import shutil
import subprocess
import sys

# Requests and macros that scdoc writes (and the post-processing adds).
KNOWN_REQUESTS = {
    '\\"', 'ie', 'el', 'ds', 'nh', 'ad', 'TH', 'SH', 'SS', 'P', 'PP', 'RS', 'RE', 'IP',
    'nf', 'fi', 'br', 'sp', 'TS', 'TE', 'in', 'ti', 'ft', '\\}',
}

# Where each command's options are documented: (page, section heading).
COMMANDS = {
    (): ('blockscope-cli', 'OPTIONS'),
    ('train',): ('blockscope-cli-train', 'OPTIONS'),
    ('eval',): ('blockscope-cli-eval', 'OPTIONS'),
    ('cka',): ('blockscope-cli-cka', 'OPTIONS'),
    ('cka-merge',): ('blockscope-cli-cka-merge', 'OPTIONS'),
    ('activations',): ('blockscope-cli-activations', 'OPTIONS'),
    ('dominant',): ('blockscope-cli-dominant', 'OPTIONS'),
    ('convergence',): ('blockscope-cli-convergence', 'OPTIONS'),
    ('seeds',): ('blockscope-cli-seeds', 'OPTIONS'),
    ('runs',): ('blockscope-cli-runs', 'OPTIONS'),
    ('render',): ('blockscope-cli-render', 'OPTIONS'),
    ('blocks',): ('blockscope-cli-blocks', 'OPTIONS'),
    ('probe',): ('blockscope-cli-probe', 'OPTIONS'),
    ('datasets',): ('blockscope-cli-datasets', 'OPTIONS'),
    ('download',): ('blockscope-cli-download', 'OPTIONS'),
    ('import',): ('blockscope-cli-import', 'OPTIONS'),
    ('info',): ('blockscope-cli-info', 'OPTIONS'),
    ('bench', 'train'): ('blockscope-cli-bench', 'BENCH TRAIN OPTIONS'),
    ('bench', 'cka'): ('blockscope-cli-bench', 'BENCH CKA OPTIONS'),
}

# An option line of --help: "  -m, --model=MODEL      Model name ..." -> "-m, --model=MODEL".
HELP_OPTION = re.compile(r'^ {2,}((?:-\w, )?--[\w-]+(?:=\S+)?)(?: {2,}|$)')
# An option term in a page's options section, at the section's indentation.
MAN_TERM = re.compile(r'^ {7}(-\S.*?)\s*$')


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def check(self, ok, description, details=()):
        self.n += 1
        print(f'{"ok" if ok else "not ok"} {self.n} - {description}')
        if not ok:
            for line in details:
                print(f'# {line}')
            self.failed += 1

    def done(self):
        print(f'1..{self.n}')
        return 1 if self.failed or self.n == 0 else 0


def run(args, **kwargs):
    env = dict(os.environ, LC_ALL='C.UTF-8', MANWIDTH='80', MAN_KEEP_FORMATTING='')
    return subprocess.run(args, capture_output=True, text=True, env=env, **kwargs)


def render_text(page):
    """The page as plain text, the way man shows it on an 80-column terminal."""
    result = run(['groff', '-man', '-Tutf8', '-P-c', '-P-b', '-P-u', '-P-o', page])
    if result.returncode != 0:
        raise RuntimeError(f'groff failed on {page}: {result.stderr}')
    return re.sub('.\b', '', result.stdout)


def check_render(tap, pages):
    man = shutil.which('man')
    for page in pages:
        name = os.path.basename(page)

        result = run(['groff', '-man', '-Tutf8', '-ww', '-z', page])
        tap.check(result.returncode == 0 and result.stderr == '', f'{name}: groff -ww',
                  result.stderr.splitlines())

        if man:
            result = run([man, '--warnings', '-E', 'UTF-8', '-l', '-Tutf8', page])
            tap.check(result.returncode == 0 and result.stderr == '',
                      f'{name}: man --warnings', result.stderr.splitlines())

        with open(page, encoding='utf-8') as f:
            unknown = []
            for number, line in enumerate(f, 1):
                if line.startswith(('.', "'")):
                    request = line[1:].split(maxsplit=1)[0] if line[1:].strip() else ''
                    if request and request not in KNOWN_REQUESTS:
                        unknown.append(f'line {number}: {line.rstrip()}')
        tap.check(not unknown, f'{name}: only known requests (no text line starts with a dot)',
                  unknown)

        text = render_text(page)
        hyphenated = [line for line in text.splitlines() if line.rstrip().endswith('\u2010')]
        tap.check(not hyphenated, f'{name}: no word hyphenated at a line end', hyphenated)
        tap.check('NAME' in text and 'EXIT STATUS' in text and 'SEE ALSO' in text,
                  f'{name}: has NAME, EXIT STATUS and SEE ALSO')


def sections(text):
    """{heading: [lines]} of a rendered page; headings start at column 0."""
    result = {}
    current = None
    for line in text.splitlines():
        if line and not line[0].isspace():
            current = line.strip()
            result.setdefault(current, [])
        elif current is not None:
            result[current].append(line)
    return result


def help_options(cli, command):
    result = run([cli, *command, '--help'])
    if result.returncode != 0:
        raise RuntimeError(f'{" ".join(command)} --help failed: {result.stderr}')
    terms = []
    in_options = False
    for line in result.stdout.splitlines():
        if re.match(r'^(?:\S.* )?Options:$', line):
            in_options = True
            continue
        if in_options and line and not line[0].isspace():
            in_options = False
        match = HELP_OPTION.match(line) if in_options else None
        if match:
            terms.append(match.group(1))
    return terms, result.stdout


def check_options(tap, cli, pages):
    by_name = {os.path.basename(p)[:-len('.1')]: p for p in pages}
    rendered = {}

    for command, (page_name, heading) in COMMANDS.items():
        label = 'blockscope-cli' + ''.join(' ' + c for c in command)
        if page_name not in by_name:
            tap.check(False, f'{label}: has a page', [f'no {page_name}.1 among {sorted(by_name)}'])
            continue
        if page_name not in rendered:
            rendered[page_name] = sections(render_text(by_name[page_name]))
        section = rendered[page_name].get(heading)
        if section is None:
            tap.check(False, f'{label}: {page_name}(1) has a section {heading}',
                      [f'sections: {list(rendered[page_name])}'])
            continue

        terms, help_text = help_options(cli, command)
        tap.check('-h, --help' in terms, f'{label}: its --help lists options',
                  help_text.splitlines())
        man_terms = [m.group(1) for m in map(MAN_TERM.match, section) if m]
        missing = [t for t in terms if t not in man_terms]
        tap.check(not missing, f'{label}: every option of --help is in {page_name}(1) {heading}',
                  [f'missing: {t}' for t in missing])
        extra = [t for t in man_terms if t not in terms]
        tap.check(not extra, f'{label}: every option in {page_name}(1) {heading} is in --help',
                  [f'not in --help: {t}' for t in extra])

    # The commands of `blockscope-cli --help`, each in blockscope-cli(1) and with a page.
    result = run([cli, '--help'])
    listed = re.findall(r'^Commands:\n((?: {2}\S.*\n)+)', result.stdout, re.M)
    commands = [line.split()[0] for line in listed[0].splitlines()] if listed else []
    tap.check(len(commands) >= 6, 'blockscope-cli --help lists the commands',
              result.stdout.splitlines())
    main_text = render_text(by_name['blockscope-cli']) if 'blockscope-cli' in by_name else ''
    main_commands = '\n'.join(sections(main_text).get('COMMANDS', []))
    for command in commands:
        terms = re.findall(r'^ {7}(\S.*)$', main_commands, re.M)
        documented = any(re.match(rf'{re.escape(command)}\b', t) for t in terms)
        tap.check(documented, f'{command}: listed in COMMANDS of blockscope-cli(1)')
        tap.check(f'blockscope-cli-{command}' in by_name, f'{command}: has a page of its own')


def main(argv):
    tap = Tap()
    if len(argv) >= 3 and argv[1] == 'render':
        check_render(tap, argv[2:])
    elif len(argv) >= 4 and argv[1] == 'options':
        check_options(tap, argv[2], argv[3:])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return tap.done()


if __name__ == '__main__':
    sys.exit(main(sys.argv))
