"""The supply chain: the vocabulary of events, master data, accounts, the recording service and
the state it keeps beside the log (custody, lots, recalls, label issues), traces and journeys.
"""
