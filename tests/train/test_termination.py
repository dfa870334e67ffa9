from __future__ import annotations

import os
import signal
import threading

from astromorph_nb.train.termination import StopOnTermination


class Job:
    def __init__(self):
        self.stops = 0

    def stop(self):
        self.stops += 1


def test_sigterm_inside_stops_the_watched_job_and_the_handler_is_restored_after():
    before = signal.getsignal(signal.SIGTERM)
    job = Job()
    with StopOnTermination() as termination:
        termination.watch(job)
        os.kill(os.getpid(), signal.SIGTERM)  # the process lives on
        assert termination.requested
        assert job.stops == 1
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_sigterm_before_the_job_starts_stops_it_as_soon_as_it_is_watched():
    job = Job()
    with StopOnTermination() as termination:
        os.kill(os.getpid(), signal.SIGTERM)
        assert termination.requested
        termination.watch(job)
    assert job.stops == 1


def test_outside_the_main_thread_it_leaves_signals_alone():
    before = signal.getsignal(signal.SIGTERM)
    seen = []

    def run():
        with StopOnTermination() as termination:
            seen.append((signal.getsignal(signal.SIGTERM), termination.requested))

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert seen == [(before, False)]
