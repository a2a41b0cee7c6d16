package dataloaders

import "context"

// The executor marshals a list's elements one after another in one
// goroutine (graph.ListWorkers), which is cheaper than a goroutine each when
// nothing waits. A load that has to wait for its batch would then wait
// alone, and every element after it would wait again for a batch of its
// own. So before a load waits it calls the hook the list put in its
// context, which hands the elements not yet started to other goroutines:
// their loads meet the waiting one in the same batch, as when every element
// had a goroutine from the start.

type waitHookKey struct{}

// WithWaitHook returns ctx whose loads call hook before they wait for a
// batch; a nil hook hides any hook ctx had.
func WithWaitHook(ctx context.Context, hook func()) context.Context {
	return context.WithValue(ctx, waitHookKey{}, hook)
}

// WaitHook is the hook ctx carries, or nil.
func WaitHook(ctx context.Context) func() {
	h, _ := ctx.Value(waitHookKey{}).(func())
	return h
}

// BeforeWait calls ctx's hook: loads call it before they wait for a batch,
// and a resolver before it blocks on anything else (a query of its own)
// that its list's other elements should not wait behind.
func BeforeWait(ctx context.Context) {
	if h := WaitHook(ctx); h != nil {
		h()
	}
}
