import { createApp, defineComponent, h } from 'vue';
import { realtimePlugin, useThreadViewers, useTyping } from '@mechamap/realtime-client/vue';
import { realtime } from './realtime';

const WhoIsHere = defineComponent({
  props: { threadId: { type: String, required: true } },
  setup(props) {
    const viewers = useThreadViewers(() => props.threadId); // being subscribed is being present
    const { typing, sayTyping } = useTyping(() => props.threadId);
    return () =>
      h('div', [
        h('p', `${viewers.value?.count ?? 0} reading, ${typing.value.length} typing`),
        h('textarea', { onInput: sayTyping }), // at most one signal per 2 s
      ]);
  },
});

createApp(WhoIsHere, { threadId: '345' }).use(realtimePlugin(realtime)).mount('#who-is-here');
