"""net_in_net.sliding_costs takes its counts from the counting engine, not a closed form of its own."""

from __future__ import annotations

import pytest

pytest.importorskip("numpy")  # derive.nn.net_in_net needs numpy

import derive.counting  # noqa: E402
from derive.counting import count_network, load_network  # noqa: E402
from derive.nn.net_in_net import sliding_costs  # noqa: E402


def test_the_counts_are_the_counting_engines(monkeypatch):
    calls = []
    real = derive.counting.count_network

    def spy(network, *args, **kwargs):
        calls.append(network.name)
        return real(network, *args, **kwargs)

    monkeypatch.setattr(derive.counting, "count_network", spy)
    sliding_costs(40, 40)
    assert sorted(calls) == ["net1", "net2"]


def test_one_window_costs_what_the_built_in_net1_and_net2_specs_cost():
    table = sliding_costs(32, 32)
    net1 = {row.name: row.macs for row in count_network(load_network("net1")).layers}
    net2 = {row.name: row.macs for row in count_network(load_network("net2")).layers}
    for layer in table.layers:
        name = layer.name.split()[0]
        assert layer.net1_macs == net1[name]
        assert layer.net2_macs == net2[name]
    assert table.net1_total == count_network(load_network("net1")).totals.macs
