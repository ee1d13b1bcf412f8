"""Messages (消息): what the platform tells a person — a result, a teacher's comment, a deadline
coming, a course they were enrolled in — in the message centre and, optionally, by SMS,
WeChat or e-mail.

Messages are derived, never written where things happen: :mod:`.collect` turns completion
events, enrolments and due dates into ``Message`` rows, keyed so that collecting again writes
nothing twice (the portal collects for its viewer; ``yiyuan messages send-due`` for everyone).
:mod:`.deliver` then sends the new ones through the outside channels of :mod:`.channels`,
recording each send. :mod:`.compose` holds the words; :mod:`.inbox` what the centre reads.
"""
