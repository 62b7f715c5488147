#!/usr/bin/python3
"""Prints the message templates of an OpenStack exception module as TypeScript rows.

    git -C cinder show COMMIT:cinder/exception.py > exception.py
    /usr/bin/python3 scripts/extract-exception-templates.py exception.py message

Each class body's `message = _("...")` (Cinder) or `msg_fmt = _("...")` (Nova, Heat)
becomes `['Class', 'template', line],`; the table in src/<service>/exception-templates.ts
is this output, pasted as is and named after the commit it came from.
"""
import ast
import json
import sys

path, attribute = sys.argv[1], sys.argv[2]
tree = ast.parse(open(path, encoding="utf-8").read())
for node in tree.body:
    if not isinstance(node, ast.ClassDef):
        continue
    for statement in node.body:
        if not (isinstance(statement, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == attribute for t in statement.targets)):
            continue
        value = statement.value
        if isinstance(value, ast.Call) and value.args:  # _("...")
            value = value.args[0]
        try:
            text = ast.literal_eval(value)
        except ValueError:
            continue
        if isinstance(text, str):
            print(f"  [{json.dumps(node.name)}, {json.dumps(text)}, {statement.lineno}],")
