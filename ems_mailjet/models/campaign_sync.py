"""A campaign's sync between its start and its finish (not a model).

A run starts the lists one after the other (``utm.campaign._mailjet_sync_start``: pull,
apply to the ERP, submit the jobs) and polls the jobs of several lists together, so that
they share their waits: once right away (``poll_campaign_syncs``), then, after the next
lists were started, to their end (``finish_campaign_syncs``); then each campaign is
finished (``utm.campaign._mailjet_sync_finish``).
"""

from ..services.sync import PendingList, finish_lists, poll_lists_once


class CampaignSync:
    """One campaign's sync between ``_mailjet_sync_start`` and ``_mailjet_sync_finish``
    (not a model): ``started`` is the engine's final ``RunReport`` or a ``PendingList``
    whose jobs wait to be polled."""

    def __init__(self, campaign, ensured, started, values, lost_list):
        self.campaign = campaign
        self.ensured = ensured
        self.started = started
        self.values = values  # for the campaign, written with the outcome
        self.lost_list = lost_list
        self.claim = None  # the run's claim on the list (an ``ExitStack``), if any
        self.polled = False  # its jobs were polled once (``poll_campaign_syncs``)

    @property
    def pending(self):
        return isinstance(self.started, PendingList)

    def release(self):
        """Release the run's claim on the list (once it is finished and committed)."""
        if self.claim is not None:
            self.claim.close()
            self.claim = None

    def keep_start(self):
        """The run stops before this list is finished: keep what its start learnt (the
        list, the checkpoint); its jobs are confirmed by the next run."""
        self.campaign.write(self.values)


def poll_campaign_syncs(gateway, syncs):
    """Poll the jobs of these campaigns' lists once now: the lists the run starts before
    it finishes them are their first wait."""
    poll_lists_once(gateway, [s.started for s in syncs if s.pending])
    for sync in syncs:
        sync.polled = True


def finish_campaign_syncs(run, gateway, syncs):
    """Poll the jobs of these campaigns' lists together, then finish each; yields each
    ``CampaignSync`` as it is finished (the caller commits, releases the claim)."""
    pending = [s for s in syncs if s.pending]
    reports = dict(
        zip(
            (id(s) for s in pending),
            finish_lists(gateway, [s.started for s in pending]),
            strict=True,
        )
    )
    for sync in syncs:
        report = reports[id(sync)] if sync.pending else sync.started
        sync.campaign._mailjet_sync_finish(run, gateway, sync, report)
        yield sync
