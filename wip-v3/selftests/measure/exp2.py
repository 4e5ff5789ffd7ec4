d='/work/k73/wt-selftests/tools/testing/selftests/tlb/'
p=d+'tlb_util.h'
s=open(p).read()
s=s.replace('''	long coll_armed, coll_before;	/* EXPERIMENT: thp_collapse_alloc */''','''	long coll_armed, coll_before;	/* EXPERIMENT: thp_collapse_alloc */
	long cpu_armed[4], cpu_before[4], rf_armed, rf_before;''')
open(p,'w').write(s)
p=d+'tlb_util.c'
s=open(p).read()
s=s.replace('''	w->coll_armed = vmstat_value("thp_collapse_alloc");''','''	w->coll_armed = vmstat_value("thp_collapse_alloc");
	w->rf_armed = vmstat_value("nr_tlb_remote_flush");
	for (int i = 0; i < 4; i++)
		w->cpu_armed[i] = tlb_ipis(i);''')
s=s.replace('''	w->coll_before = vmstat_value("thp_collapse_alloc");''','''	w->coll_before = vmstat_value("thp_collapse_alloc");
	w->rf_before = vmstat_value("nr_tlb_remote_flush");
	for (int i = 0; i < 4; i++)
		w->cpu_before[i] = tlb_ipis(i);''')
s=s.replace('''				w->cpu, w->before - w->armed, w->coll_before - w->coll_armed, w->after - w->before);''','''				w->cpu, w->before - w->armed, w->coll_before - w->coll_armed, w->after - w->before);
		if (v == LAZY_SHOT)
			tlb_msg("EXPERIMENT window: remote flushes sent %ld; TLB IPIs cpu0 %ld cpu1 %ld cpu2 %ld cpu3 %ld\\n",
				w->rf_before - w->rf_armed, w->cpu_before[0] - w->cpu_armed[0],
				w->cpu_before[1] - w->cpu_armed[1], w->cpu_before[2] - w->cpu_armed[2],
				w->cpu_before[3] - w->cpu_armed[3]);''')
open(p,'w').write(s)
