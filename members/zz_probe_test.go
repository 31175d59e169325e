package members
import ("testing";"fmt";"math/rand/v2")
func TestProbeFanout(t *testing.T){
 for _, n := range []int{5,10,30} {
   c := newCluster(rand.New(rand.NewPCG(uint64(n),9)), n)
   rnd := func() { c.now = c.now.Add(DefaultInterval)
     for _, tb := range c.tables { tb.Tick(c.now); c.note(tb, tb.Sweep(c.now))
       for range 3 { if j, ok := c.pick(tb); ok { c.note(c.tables[j], c.tables[j].Merge(tb.Digest(), c.now)) } } } }
   for !c.allKnown() { rnd() }
   for range 400 { rnd() }
   c.downs = 0
   for range 4*3600 { rnd() }
   fmt.Printf("n=%d fanout3: %d false downs in 1h\n", n, c.downs)
 }
}
