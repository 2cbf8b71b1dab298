"""Plan mode: what an experiment would do, checked against a blast-radius policy — without
changing anything.

:func:`build_plan` resolves a template, one library action or several into an
:class:`ExperimentPlan` (groups, object types, instances, ordered steps with their final
parameters and recovery pairing) using **read-only** calls only (``DescribeTemplate``,
``DescribeObjectTypeList``, ``DescribeActionLibraryList``, ``DescribeActionFieldConfigList``), and
checks it:

* input — the template exists and is in use, one instance list per template group, instance ids
  in the format of the group's object type, every required action parameter given (``Required=1``
  without ``DefaultValue``), parameter names, types, ranges and options as the parameter schema
  says, one object type for a multi-action experiment, a request body within CFG's 10 MB;
* policy (:class:`BlastRadiusPolicy`) — instances per group, risk level of every step, allowed
  object types, and a paired recovery for every fault that does not heal by itself.

Every problem becomes a :class:`Violation` naming the field and, where finite, the allowed values;
:meth:`ExperimentPlan.raise_for_violations` raises :class:`PlanViolationError` listing them all.
A plan that cannot be built at all (unknown template or action, malformed arguments) raises
:class:`PlanError`. No Airflow import here.

One module per concept:

* :mod:`.policy` — :class:`BlastRadiusPolicy`, risk levels, :class:`Violation` and the errors;
* :mod:`.ids` — instance-id formats of the object types;
* :mod:`.catalogue` — the read-only lookups (object types, library actions, parameter schemas);
* :mod:`.parameters` — action parameters: defaults and checks against their schema;
* :mod:`.groups` — one group's instances, execute rule and policy rules;
* :mod:`.model` — :class:`ExperimentPlan`, :class:`PlanGroup`, :class:`PlanStep`;
* :mod:`.template`, :mod:`.actions` — the two builders; :mod:`.build` — :func:`build_plan`,
  :func:`plan_for_request`;
* :mod:`.render` — the Markdown.
"""
