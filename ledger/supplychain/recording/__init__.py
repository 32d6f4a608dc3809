"""Recording supply-chain events: the one service every write goes through.

The API, the CLI imports, the demo season and later the pages and EPCIS capture all call
:meth:`~ledger.supplychain.recording.recorder.Recorder.record_batch`. Inside one append
transaction it, for each command in order:

1. recognises an idempotent repeat (same organisation, same key, same command) and returns the
   entry recorded the first time, before any rule is evaluated again;
2. checks that the account's role may record the type and that the event time is plausible;
3. runs the type's handler, which checks the object-level rules (the caller's plots and lots,
   the holder, the named receiver), quantities in exact decimals, food-safety intervals and
   recalls, and decides the entry's subjects and payload;
4. appends the entries and writes the custody state they cause, all or nothing.

A refused command raises the error that says why (403 who, 409 conflict, 422 rule); in a batch it
is wrapped in :class:`~ledger.tlog.errors.BatchError` naming its line, and nothing is recorded.

The modules: :mod:`.recorder` (the service: batches, repeats, event times), :mod:`.context`
(what a handler reads of master data and custody state, and the entry it builds),
:mod:`.handlers` (which handler decides each event type), and the handlers by what they govern:
:mod:`.food_safety` (farm inputs, flock care, safety intervals, checks), :mod:`.lots` (lots made,
turned into other lots, moved and sold), :mod:`.certificates`, :mod:`.labels`,
:mod:`.corrections` and :mod:`.recalls` (recalls, recall requests and holds).
"""
