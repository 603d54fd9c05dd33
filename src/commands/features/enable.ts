import {FeatureSwitch} from '../../cli/switches.js'

export default class FeaturesEnable extends FeatureSwitch {
  static description = 'enable an app feature'
  static examples = ['$ ferry features:enable preboot']
  protected readonly enable = true
}
