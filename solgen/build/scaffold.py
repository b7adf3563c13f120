"""What ``solgen new --section`` and ``solgen new --course`` write: commented files that
render as they are (the tests render each one). ``solgen new ID``'s problem file is
``cli.SCAFFOLD``.

To change a scaffold: edit its text here and run tests/test_conventions.py (it renders them).
"""

from __future__ import annotations

SECTION = '''\
# A solgen section: one session's slides, handout and worksheet. Render it with:
#   solgen render {path} --pdf
# Paths are relative to this file. Prose is Markdown with $math$; a code span starting
# with `=` is computed and checked (`=diff(x^2, x)`), never typed.
id: {id}
title: "Section {id}"
{header}agenda: auto                       # "Plans for today!": the topics below, in order
slides:
  - md: |
      # Reminders
      - Homework 1 is due next week
  - topic: "Partial derivatives"
  - md: |
      # Partial derivatives
      Treat every other variable as a constant:
      `=diff(x^2 - x*y, x)`

      and the gradient collects them:
      `=grad(x^2 - x*y, [x, y])`
{problems}'''

SECTION_PROBLEMS_HINT = '''\
  # A problem file of the course (paths are relative to this file):
  # - topic: "Gradients"
  # - {problem: ../problems/1.1.yaml, show: questions, title: "Try it"}
  # - {problem: ../problems/1.1.yaml, show: answers, title: "Answers"}
'''

SECTION_PROBLEMS = '''\
  - topic: "Gradients and Hessians"
  - {problem: ../problems/1.1.yaml, parts: [a], show: questions, title: "Try it"}
  - {problem: ../problems/1.1.yaml, parts: [a], show: answers, title: "Answers"}
  - topic: "A logistic loss"
  - problem: ../problems/1.2.yaml
    parts: [a, c]
    intro: "What does the sign of each entry of the gradient say?"
'''

COURSE_TOML = '''\
# solgen.toml: defaults for every problem and section in this folder and below it.
# A file's own course:, author: and lang: win over these; command-line flags win over all.
course = "{course}"
author = "TA: Your Name"
lang = "en"                   # en or de: the language of every generated sentence
out = "out"                   # output folder, relative to this file
formats = ["tex", "html"]     # what `solgen render` writes when no --format is given
# templates = "templates"     # a folder whose tex/ md/ html/ words/ override the built-ins
'''

SECOND_PROBLEM = '''\
# A second problem: a logistic loss, with a function (p) used by another (L).
id: "1.2"
title: "The logistic loss"
variables: [w, b]
constants: [x, y]
functions:
  p: "sigmoid(w*x + b)"
  L: "-(y*log(p) + (1 - y)*log(1 - p))"
parts:
  - {id: a, ask: gradient, of: L}
  - {id: b, ask: hessian, of: L, detail: standard}
  - id: c
    ask: text
    prompt: "Why is $L$ convex in $(w, b)$?"
    answer: "Its Hessian is $p (1 - p)$ times the outer product of $(x, 1)$ with itself: positive semidefinite."
'''

GITIGNORE = "out/\n"
