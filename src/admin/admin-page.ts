/**
 * The admin view's one page. It holds no data: it asks for an admin token (kept in this tab's
 * sessionStorage), then polls /admin/api/processes every second and draws each process's
 * connections, subscriptions, deliveries per second and delivery p99 with uPlot, served by this
 * service under /admin/assets/.
 */
export const ADMIN_PAGE_HTML = /* HTML */ `<!doctype html>
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <title>MechaMap Realtime — admin</title>
      <link rel="stylesheet" href="/admin/assets/uPlot.min.css" />
      <script src="/admin/assets/uPlot.iife.min.js"></script>
      <style>
        body {
          font:
            14px system-ui,
            sans-serif;
          margin: 16px 24px;
          color: #1d2430;
          background: #f6f7f9;
        }
        h1 {
          font-size: 20px;
          margin: 0 0 12px;
        }
        h2 {
          font-size: 15px;
          margin: 0 0 6px;
        }
        form {
          display: flex;
          gap: 8px;
          align-items: center;
          margin: 8px 0 16px;
          flex-wrap: wrap;
        }
        input {
          padding: 5px 7px;
          border: 1px solid #b8c0cc;
          border-radius: 4px;
        }
        button {
          padding: 5px 12px;
          border: 0;
          border-radius: 4px;
          background: #2f6fdb;
          color: white;
          cursor: pointer;
        }
        .process {
          background: white;
          border: 1px solid #dde2ea;
          border-radius: 6px;
          padding: 10px 12px;
          margin-bottom: 12px;
        }
        .process.stale {
          opacity: 0.5;
        }
        .figures {
          color: #5a6473;
          margin-bottom: 6px;
        }
        .charts {
          display: flex;
          gap: 10px;
          flex-wrap: wrap;
        }
        .chart-title {
          font-size: 12px;
          color: #5a6473;
        }
        #status,
        #published {
          color: #5a6473;
        }
        .error {
          color: #b3261e !important;
        }
      </style>
    </head>
    <body>
      <h1>MechaMap Realtime</h1>
      <form id="sign-in">
        <label>Admin token <input id="token" type="password" autocomplete="off" size="40" /></label>
        <button type="submit">Open</button>
        <span id="status">Enter ADMIN_TOKENS (or a publisher token).</span>
      </form>
      <section id="processes"></section>
      <h2>Publish a test notification</h2>
      <form id="notify">
        <label>User id <input id="notify-user" size="8" required /></label>
        <label>Title <input id="notify-title" size="30" required value="Test notification" /></label>
        <label>Body <input id="notify-body" size="30" /></label>
        <button type="submit">Publish</button>
        <span id="published"></span>
      </form>
      <script>
        (() => {
          const POINTS = 120;
          const CHARTS = [
            ['connections', 'Connections', (p) => p.connections],
            ['subscriptions', 'Subscriptions', (p) => p.subscriptions],
            ['deliveries', 'Deliveries/s', (p) => p.deliveriesPerSecond],
            ['p99', 'Delivery p99 (ms)', (p) => p.deliveryP99Ms],
          ];
          const shown = new Map();
          const $ = (id) => document.getElementById(id);
          let token = sessionStorage.getItem('admin-token') || '';
          let timer = null;

          const api = (path, init = {}) =>
            fetch(path, { ...init, headers: { ...(init.headers || {}), authorization: 'Bearer ' + token, 'content-type': 'application/json' } });

          function card(process) {
            const section = document.createElement('div');
            section.className = 'process';
            section.dataset.id = process.id;
            section.innerHTML = '<h2></h2><div class="figures"></div><div class="charts"></div>';
            section.querySelector('h2').textContent = process.host + ' · pid ' + process.pid;
            const charts = {};
            for (const [key, label] of CHARTS) {
              const holder = document.createElement('div');
              holder.className = 'chart chart-' + key;
              holder.innerHTML = '<div class="chart-title"></div>';
              holder.firstChild.textContent = label;
              section.querySelector('.charts').append(holder);
              charts[key] = new uPlot(
                {
                  width: 250,
                  height: 110,
                  legend: { show: false },
                  scales: { x: { time: true } },
                  axes: [{ show: false }, { size: 40 }],
                  series: [{}, { stroke: '#2f6fdb', width: 1.5, fill: 'rgba(47,111,219,0.1)', spanGaps: true }],
                },
                [[], []],
                holder,
              );
            }
            $('processes').append(section);
            return { section, charts, times: [], values: Object.fromEntries(CHARTS.map(([key]) => [key, []])) };
          }

          function draw(processes) {
            const now = Date.now();
            for (const process of processes) {
              const entry = shown.get(process.id) || shown.set(process.id, card(process)).get(process.id);
              entry.section.classList.toggle('stale', now - process.at > 3000);
              entry.section.querySelector('.figures').textContent =
                process.connections +
                ' connections · ' +
                process.subscriptions +
                ' subscriptions · ' +
                process.deliveriesPerSecond.toFixed(1) +
                ' deliveries/s · p99 ' +
                (process.deliveryP99Ms === null ? '–' : process.deliveryP99Ms + ' ms');
              if (entry.times.at(-1) === process.at / 1000) continue;
              entry.times.push(process.at / 1000);
              for (const [key, , read] of CHARTS) entry.values[key].push(read(process));
              if (entry.times.length > POINTS) {
                entry.times.shift();
                for (const key in entry.values) entry.values[key].shift();
              }
              for (const [key] of CHARTS) entry.charts[key].setData([entry.times, entry.values[key]]);
            }
            for (const [id, entry] of shown) {
              if (processes.some((process) => process.id === id)) continue;
              entry.section.remove();
              shown.delete(id);
            }
            document.body.dataset.processes = String(shown.size);
          }

          async function poll() {
            try {
              const response = await api('/admin/api/processes');
              if (response.status === 401) throw new Error('this token does not open the admin view');
              if (!response.ok) throw new Error((await response.json()).error);
              const { processes } = await response.json();
              $('status').className = '';
              $('status').textContent = processes.length + ' process' + (processes.length === 1 ? '' : 'es') + ', updated ' + new Date().toLocaleTimeString();
              draw(processes);
            } catch (error) {
              $('status').className = 'error';
              $('status').textContent = error.message;
            }
          }

          function open() {
            clearInterval(timer);
            void poll();
            timer = setInterval(poll, 1000);
          }

          $('sign-in').addEventListener('submit', (event) => {
            event.preventDefault();
            token = $('token').value.trim();
            sessionStorage.setItem('admin-token', token);
            open();
          });
          $('notify').addEventListener('submit', async (event) => {
            event.preventDefault();
            const body = { userId: $('notify-user').value.trim(), title: $('notify-title').value, body: $('notify-body').value };
            const response = await api('/admin/api/notify', { method: 'POST', body: JSON.stringify(body) });
            const answer = await response.json();
            $('published').className = response.ok ? '' : 'error';
            $('published').textContent = response.ok ? 'Published ' + answer.id + ' to user ' + answer.userId : answer.error;
          });
          if (token) {
            $('token').value = token;
            open();
          }
        })();
      </script>
    </body>
  </html> `;
