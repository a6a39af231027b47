/*
 * The ACD's timers: one 4-ary min-heap holding at most one entry per contact and per
 * agent, keyed by that object's next deadline (ring timeout, relaxation step, max wait,
 * announcement, sticky or retry expiry, wrap-up end). Each owner remembers its slot, so
 * moving or cancelling its deadline is O(log n) and the next deadline is read in O(1).
 * The heap array is preallocated for every contact and agent slot.
 */
#include "acd/acd_int.h"

static uint32_t *slot_of(struct acd *acd, uint32_t owner)
{
	if (owner & ACD__AGENT_BIT)
		return &acd->agents[owner & ~ACD__AGENT_BIT].hidx;
	return &acd->contacts[owner].hidx;
}

static void place(struct acd *acd, uint32_t i, struct acd__hent e)
{
	acd->heap[i] = e;
	*slot_of(acd, e.owner) = i;
}

static void sift_up(struct acd *acd, uint32_t i)
{
	struct acd__hent e = acd->heap[i];

	while (i > 0) {
		uint32_t parent = (i - 1) / 4;
		if (acd->heap[parent].at <= e.at)
			break;
		place(acd, i, acd->heap[parent]);
		i = parent;
	}
	place(acd, i, e);
}

static void sift_down(struct acd *acd, uint32_t i)
{
	struct acd__hent e = acd->heap[i];

	for (;;) {
		uint32_t first = 4 * i + 1, best = i, k;
		uint64_t best_at = e.at;
		for (k = first; k < first + 4 && k < acd->nheap; k++) {
			if (acd->heap[k].at < best_at) {
				best = k;
				best_at = acd->heap[k].at;
			}
		}
		if (best == i)
			break;
		place(acd, i, acd->heap[best]);
		i = best;
	}
	place(acd, i, e);
}

static void heap_delete(struct acd *acd, uint32_t i)
{
	uint32_t owner = acd->heap[i].owner;
	uint64_t old = acd->heap[i].at;

	*slot_of(acd, owner) = ACD__NO_HEAP;
	acd->nheap--;
	if (i == acd->nheap)
		return;
	place(acd, i, acd->heap[acd->nheap]);
	if (acd->heap[i].at < old)
		sift_up(acd, i);
	else
		sift_down(acd, i);
}

/* Sets (at != ACD_NEVER) or clears (ACD_NEVER) the owner's deadline. */
void acd__timer_set(struct acd *acd, uint32_t owner, uint64_t at)
{
	uint32_t *slot = slot_of(acd, owner);
	uint32_t i = *slot;

	if (at == ACD_NEVER) {
		if (i != ACD__NO_HEAP)
			heap_delete(acd, i);
		return;
	}
	if (i == ACD__NO_HEAP) {
		i = acd->nheap++;
		acd->heap[i] = (struct acd__hent){.at = at, .owner = owner};
		*slot = i;
		sift_up(acd, i);
		return;
	}
	if (acd->heap[i].at == at)
		return;
	if (at < acd->heap[i].at) {
		acd->heap[i].at = at;
		sift_up(acd, i);
	} else {
		acd->heap[i].at = at;
		sift_down(acd, i);
	}
}

/* Removes and returns the owner of the earliest deadline if it is due, else UINT32_MAX. */
uint32_t acd__timer_pop_due(struct acd *acd, uint64_t now)
{
	uint32_t owner;

	if (!acd->nheap || acd->heap[0].at > now)
		return UINT32_MAX;
	owner = acd->heap[0].owner;
	heap_delete(acd, 0);
	return owner;
}

uint64_t acd_next_deadline(const struct acd *acd)
{
	return acd->nheap ? acd->heap[0].at : ACD_NEVER;
}
