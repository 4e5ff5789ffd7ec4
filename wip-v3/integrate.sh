#!/bin/bash
# Rebuild branch v3 in /work/k73/int from branches tlb, vmap, selftests.
set -e
cd /work/k73/int
git cherry-pick --abort 2>/dev/null || true
git checkout -q -f -B v3 refs/tags/base
L=($(git rev-list --reverse refs/tags/base..tlb)); V=($(git rev-list --reverse refs/tags/base..vmap))
S=($(git rev-list --reverse 9681f53..selftests))
pick() { git cherry-pick "$@" || { echo "CONFLICT at $*"; exit 1; }; }
pick ${L[0]} ${V[0]} ${L[1]} ${L[2]} ${L[3]} ${L[4]} ${L[5]} "${S[@]}" ${L[6]}
# vmap generic + x86 + KUnit (conflicts in Kconfig.debug, .kunitconfig, Makefile)
pick ${V[1]} ${V[2]}
git cherry-pick ${V[3]} || true
python3 - <<'PY'
import re
p='arch/x86/Kconfig.debug'
s=open(p).read()
m=re.search(r'<<<<<<< [^\n]*\n(.*?)=======\n(.*?)>>>>>>> [^\n]*\n', s, re.S)
if m:
    s=s[:m.start()]+m.group(1)+'\n\t  If unsure, say N.\n\n'+m.group(2)+s[m.end():]
    open(p,'w').write(s)
p='arch/x86/mm/.kunitconfig'
s=open(p).read()
if '<<<<<<<' in s:
    m=re.search(r'<<<<<<< [^\n]*\n(.*?)=======\n(.*?)>>>>>>> [^\n]*\n', s, re.S)
    ours=m.group(1).splitlines(); theirs=m.group(2).splitlines()
    head=s[:m.start()].splitlines()
    seen=set(head+ours); out=head+ours
    for l in theirs:
        if l.startswith('#') or l not in seen:
            out.append(l); seen.add(l)
    open(p,'w').write('\n'.join(out)+'\n'+s[m.end():])
p='arch/x86/mm/Makefile'
s=open(p).read()
s=s.replace('obj-$(CONFIG_X86_TLB_KUNIT_TEST)\t+= tlb_kunit.o\n\nobj-$(CONFIG_X86_VMAP_KUNIT_TEST)\t+= vmap_kunit.o\n\n','obj-$(CONFIG_X86_TLB_KUNIT_TEST)\t+= tlb_kunit.o\nobj-$(CONFIG_X86_VMAP_KUNIT_TEST)\t+= vmap_kunit.o\n\n')
open(p,'w').write(s)
PY
grep -q '<<<<<<<' arch/x86/Kconfig.debug arch/x86/mm/.kunitconfig && { echo "unresolved"; exit 1; }
git add arch/x86/Kconfig.debug arch/x86/mm/.kunitconfig arch/x86/mm/Makefile
GIT_EDITOR=true git cherry-pick --continue
# docs: both append to tlb.rst
pick ${L[7]}
git cherry-pick ${V[4]} || true
python3 - <<'PY'
p='Documentation/arch/x86/tlb.rst'
L=open(p).read().split('\n')
st=[i for i,l in enumerate(L) if l.startswith('<<<<<<< ')]
if st:
    a=st[0]; e=[i for i,l in enumerate(L) if l.startswith('>>>>>>> ')][0]
    mid=[i for i in range(a,e) if L[i]=='=======']
    # the marker is the last bare ======= whose next line is not blank-text title underline context:
    # choose the one followed by a line that starts the other side (title line of their section)
    m=[i for i in mid if i+1<e and L[i+1]!='' and not L[i-1].strip()=='' or True]
    sep=None
    for i in mid:
        # a RST underline follows a title line of same length
        if not (i>0 and len(L[i-1].rstrip())==7 and L[i-1].strip()):
            sep=i
    ours=L[a+1:sep]; theirs=L[sep+1:e]
    while ours and ours[-1]=='': ours.pop()
    L=L[:a]+ours+['']+theirs+L[e+1:]
    open(p,'w').write('\n'.join(L))
PY
grep -q '<<<<<<<\|>>>>>>>' Documentation/arch/x86/tlb.rst && { echo "unresolved docs"; exit 1; }
git add Documentation/arch/x86/tlb.rst
GIT_EDITOR=true git cherry-pick --continue
git log --oneline refs/tags/base..HEAD | wc -l
